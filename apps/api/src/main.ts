import { Logger, loadConfigOrExit, Router, startService } from "@lawyers-hub/service-kit";
import { createPool, createRedis, postgresCheck, redisCheck } from "@lawyers-hub/service-kit/data-stores";
import { apiConfigSchema } from "./config.ts";
import { matterRoutes } from "./matters.ts";
import { migrationNames, migrationsCheck } from "./migrations.ts";

const bootLogger = new Logger({ service: "api" });
const config = loadConfigOrExit(apiConfigSchema, bootLogger);
const logger = bootLogger.withLevel(config.LOG_LEVEL);

let expectedMigrations: string[];
try {
  expectedMigrations = migrationNames(config.MIGRATIONS_DIR);
} catch (error) {
  logger.fatal(`invalid configuration: MIGRATIONS_DIR ${(error as Error).message}`, { variable: "MIGRATIONS_DIR" });
  process.exit(1);
}

const pool = createPool(config.DATABASE_URL, logger);
const redis = createRedis(
  { host: config.REDIS_HOST, port: config.REDIS_PORT, password: config.REDIS_PASSWORD },
  logger,
  "api",
);

const router = new Router();
matterRoutes(router, { pool, redis, stream: config.JOBS_STREAM, logger });

await startService({
  name: "api",
  port: config.PORT,
  logger,
  router,
  readiness: [postgresCheck(pool), redisCheck(redis), migrationsCheck(pool, expectedMigrations)],
  readinessTimeoutMs: config.READINESS_TIMEOUT_MS,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  close: [
    { name: "redis", run: async () => void (await redis.quit()) },
    { name: "postgres", run: () => pool.end() },
  ],
});
logger.info("api started", { expected_migrations: expectedMigrations.length, jobs_stream: config.JOBS_STREAM });
