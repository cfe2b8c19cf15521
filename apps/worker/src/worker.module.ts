import type { JsonLogger } from "@lawyers-hub/service-kit";
import { ObservabilityModule, redisIndicator } from "@lawyers-hub/service-kit/nest";
import { type DynamicModule, Global, Module } from "@nestjs/common";
import type { HealthIndicatorService } from "@nestjs/terminus";
import type { Redis } from "ioredis";
import type pg from "pg";
import { WORKER_CONFIG, type WorkerConfig } from "./config.ts";
import { COMMANDS_REDIS, DataStoresModule, LOGGER, POOL } from "./data-stores.module.ts";
import { JobConsumerService } from "./jobs/job-consumer.service.ts";

/** The configuration and logger, visible to every module of the worker. */
@Global()
@Module({})
class SettingsModule {
  static forRoot(config: WorkerConfig, logger: JsonLogger): DynamicModule {
    return {
      module: SettingsModule,
      providers: [
        { provide: WORKER_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
      ],
      exports: [WORKER_CONFIG, LOGGER],
    };
  }
}

/**
 * The worker: consumes the jobs stream (no HTTP routes of its own; its HTTP server answers only
 * /health, /ready and /metrics on its port). Ready when PostgreSQL and Redis answer.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: WorkerConfig, logger: JsonLogger): DynamicModule {
    const timeoutMs = config.READINESS_TIMEOUT_MS;
    return {
      module: WorkerModule,
      imports: [
        SettingsModule.forRoot(config, logger),
        DataStoresModule,
        ObservabilityModule.forRoot({
          identity: { name: "worker", release: config.RELEASE, readinessTimeoutMs: timeoutMs },
          logger,
          readiness: {
            inject: [POOL, COMMANDS_REDIS],
            useFactory: (indicators: HealthIndicatorService, ...deps: never[]) => {
              const [pool, commands] = deps as unknown as [pg.Pool, Redis];
              return [
                () =>
                  indicators
                    .check("postgres")
                    .attempt(() => void pool.query("SELECT 1"))
                    .withTimeout(timeoutMs),
                redisIndicator(indicators, commands, timeoutMs),
              ];
            },
          },
        }),
      ],
      providers: [JobConsumerService],
    };
  }
}
