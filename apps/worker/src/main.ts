import "reflect-metadata";
import { closeOnSignals, loggerAndConfig } from "@lawyers-hub/service-kit/nest";
import { NestFactory } from "@nestjs/core";
import { Logger } from "nestjs-pino";
import { workerConfigSchema } from "./config.ts";
import { WorkerModule } from "./worker.module.ts";

const { logger, config } = loggerAndConfig("worker", workerConfigSchema);
const app = await NestFactory.create(WorkerModule.forRoot(config, logger), { bufferLogs: true });
app.useLogger(app.get(Logger));
closeOnSignals(app, logger, config.SHUTDOWN_TIMEOUT_MS);
await app.listen(config.PORT, "0.0.0.0");
logger.info(
  {
    port: config.PORT,
    release: config.RELEASE,
    stream: config.JOBS_STREAM,
    group: config.JOBS_GROUP,
    consumer: config.WORKER_CONSUMER,
  },
  "worker started",
);
