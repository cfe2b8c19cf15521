import {
  Counter,
  createJsonLogger,
  errorMessage,
  Gauge,
  Logger,
  loadConfigOrExit,
  ServiceMetrics,
  secretValues,
  startService,
} from "@lawyers-hub/service-kit";
import { createPool, createRedis, postgresCheck, redisCheck } from "@lawyers-hub/service-kit/data-stores";
import { workerConfigSchema } from "./config.ts";
import { StreamConsumer } from "./consumer.ts";
import { processIntake, recordUndecodable } from "./intake.ts";

const bootLogger = new Logger({ service: "worker" });
const config = loadConfigOrExit(workerConfigSchema, bootLogger);
const logger = bootLogger.withLevel(config.LOG_LEVEL);
const clientLogger = createJsonLogger({
  service: "worker",
  level: config.LOG_LEVEL,
  secrets: secretValues(process.env),
});

const pool = createPool(config.DATABASE_URL, clientLogger);
const redisSettings = { host: config.REDIS_HOST, port: config.REDIS_PORT, password: config.REDIS_PASSWORD };
const commands = createRedis(redisSettings, clientLogger, "worker");
const blocking = createRedis(redisSettings, clientLogger, "worker-reader");

const metrics = new ServiceMetrics("worker");
const jobs = new Counter({
  name: "worker_jobs_total",
  help: "Jobs handled by the worker, by outcome (opened, duplicate, matter-missing, rejected, retry)",
  labelNames: ["outcome"],
  registers: [metrics.registry],
});

const consumer = new StreamConsumer({
  blocking,
  commands,
  stream: config.JOBS_STREAM,
  group: config.JOBS_GROUP,
  consumer: config.WORKER_CONSUMER,
  blockMs: config.WORKER_BLOCK_MS,
  claimIdleMs: config.WORKER_CLAIM_IDLE_MS,
  batchSize: config.WORKER_BATCH_SIZE,
  logger,
  handle: (job) => processIntake(pool, job),
  reject: (entry, reason) => recordUndecodable(pool, entry.id, reason),
  onOutcome: (outcome) => jobs.inc({ outcome }),
});

let lastBacklogError = "";
new Gauge({
  name: "worker_queue_backlog",
  help: "Jobs waiting on the worker's stream: not yet delivered plus delivered and not acknowledged",
  registers: [metrics.registry],
  async collect() {
    try {
      this.set(await withTimeout(consumer.backlog(), config.READINESS_TIMEOUT_MS));
      lastBacklogError = "";
    } catch (error) {
      // Keep the last value: a scrape must not fail because Redis is away (readiness reports that).
      if (errorMessage(error) !== lastBacklogError) logger.warn("cannot measure the queue backlog", { error });
      lastBacklogError = errorMessage(error);
    }
  },
});

await startService({
  name: "worker",
  port: config.PORT,
  logger,
  metrics,
  readiness: [postgresCheck(pool), redisCheck(commands)],
  readinessTimeoutMs: config.READINESS_TIMEOUT_MS,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  drain: [{ name: "consumer", run: () => consumer.stop() }],
  close: [
    { name: "redis", run: async () => void (await Promise.all([commands.quit(), blocking.quit().catch(() => "")])) },
    { name: "postgres", run: () => pool.end() },
  ],
});
consumer.start();
logger.info("worker started", {
  stream: config.JOBS_STREAM,
  group: config.JOBS_GROUP,
  consumer: config.WORKER_CONSUMER,
});

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
