import "reflect-metadata";
import { loggerAndConfig, serveNestApplication } from "@lawyers-hub/service-kit/nest";
import { ApiModule } from "./api.module.ts";
import { apiConfigSchema } from "./config.ts";
import { migrationNames } from "./migrations.ts";

const { logger, config } = loggerAndConfig("api", apiConfigSchema);

let expectedMigrations: string[];
try {
  expectedMigrations = migrationNames(config.MIGRATIONS_DIR);
} catch (error) {
  logger.fatal({ variable: "MIGRATIONS_DIR" }, `invalid configuration: MIGRATIONS_DIR ${(error as Error).message}`);
  process.exit(1);
}

await serveNestApplication(ApiModule.forRoot({ config, logger, expectedMigrations }), logger, {
  port: config.PORT,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
});
logger.info(
  {
    port: config.PORT,
    release: config.RELEASE,
    expected_migrations: expectedMigrations.length,
    jobs_stream: config.JOBS_STREAM,
  },
  "api started",
);
