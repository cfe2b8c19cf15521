import { errorMessage, type JsonLogger, ServiceMetrics } from "@lawyers-hub/service-kit";
import { SERVICE_IDENTITY, type ServiceIdentity } from "@lawyers-hub/service-kit/nest";
import { type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationBootstrap } from "@nestjs/common";
import type { Redis } from "ioredis";
import type pg from "pg";
import { Counter, Gauge } from "prom-client";
import { WORKER_CONFIG, type WorkerConfig } from "../config.ts";
import { BLOCKING_REDIS, COMMANDS_REDIS, LOGGER, POOL } from "../data-stores.module.ts";
import { processIntake, recordUndecodable } from "./intake.ts";
import { StreamConsumer } from "./stream-consumer.ts";

/**
 * The worker's work: consumes the jobs stream from the moment the application is up, and on
 * shutdown (Nest's beforeApplicationShutdown, which SIGTERM triggers) finishes the job in hand and
 * hands back the rest before the connections close. Counts jobs by outcome and reports the backlog.
 */
@Injectable()
export class JobConsumerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly #consumer: StreamConsumer;
  readonly #logger: JsonLogger;

  constructor(
    @Inject(WORKER_CONFIG) config: WorkerConfig,
    @Inject(LOGGER) logger: JsonLogger,
    @Inject(POOL) pool: pg.Pool,
    @Inject(COMMANDS_REDIS) commands: Redis,
    @Inject(BLOCKING_REDIS) blocking: Redis,
    @Inject(ServiceMetrics) metrics: ServiceMetrics,
    @Inject(SERVICE_IDENTITY) identity: ServiceIdentity,
  ) {
    this.#logger = logger;
    const jobs = new Counter({
      name: "worker_jobs_total",
      help: "Jobs handled by the worker, by outcome (opened, duplicate, matter-missing, rejected, retry)",
      labelNames: ["outcome"],
      registers: [metrics.registry],
    });
    this.#consumer = new StreamConsumer({
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
    const consumer = this.#consumer;
    let lastBacklogError = "";
    new Gauge({
      name: "worker_queue_backlog",
      help: "Jobs waiting on the worker's stream: not yet delivered plus delivered and not acknowledged",
      registers: [metrics.registry],
      async collect() {
        try {
          this.set(await withTimeout(consumer.backlog(), identity.readinessTimeoutMs));
          lastBacklogError = "";
        } catch (error) {
          // Keep the last value: a scrape must not fail because Redis is away (readiness reports that).
          if (errorMessage(error) !== lastBacklogError) logger.warn({ error }, "cannot measure the queue backlog");
          lastBacklogError = errorMessage(error);
        }
      },
    });
  }

  onApplicationBootstrap(): void {
    this.#consumer.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.#logger.info("consumer: stopping (finishing the job in hand)");
    await this.#consumer.stop();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
