import "reflect-metadata";
import { loggerAndConfig, serveNestApplication } from "@lawyers-hub/service-kit/nest";
import { workerConfigSchema } from "./config.ts";
import { WorkerModule } from "./worker.module.ts";

const { logger, config } = loggerAndConfig("worker", workerConfigSchema);
await serveNestApplication(WorkerModule.forRoot(config, logger), logger, {
  port: config.PORT,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
});
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
