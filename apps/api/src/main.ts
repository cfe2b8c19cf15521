import "reflect-metadata";
import { closeOnSignals, loggerAndConfig } from "@lawyers-hub/service-kit/nest";
import { NestFactory } from "@nestjs/core";
import { Logger } from "nestjs-pino";
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

const app = await NestFactory.create(ApiModule.forRoot({ config, logger, expectedMigrations }), { bufferLogs: true });
app.useLogger(app.get(Logger));
closeOnSignals(app, logger, config.SHUTDOWN_TIMEOUT_MS);
await app.listen(config.PORT, "0.0.0.0");
logger.info(
  {
    port: config.PORT,
    release: config.RELEASE,
    expected_migrations: expectedMigrations.length,
    jobs_stream: config.JOBS_STREAM,
  },
  "api started",
);
