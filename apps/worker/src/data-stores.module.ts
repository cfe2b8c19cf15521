import type { JsonLogger } from "@lawyers-hub/service-kit";
import { createPool, createRedis } from "@lawyers-hub/service-kit/data-stores";
import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from "@nestjs/common";
import type { Redis } from "ioredis";
import type pg from "pg";
import { WORKER_CONFIG, type WorkerConfig } from "./config.ts";

export const LOGGER = Symbol("JsonLogger");
export const POOL = Symbol("pg.Pool");
/** For acknowledgements, claims and group management. */
export const COMMANDS_REDIS = Symbol("Redis commands");
/** Dedicated to the blocking read: a blocked connection can serve nothing else. */
export const BLOCKING_REDIS = Symbol("Redis blocking reads");

/** Closes the clients last, after the consumer has stopped (Nest's last shutdown hook). */
@Injectable()
class DataStoresShutdown implements OnApplicationShutdown {
  readonly #clients: [pg.Pool, Redis, Redis];

  constructor(
    @Inject(POOL) pool: pg.Pool,
    @Inject(COMMANDS_REDIS) commands: Redis,
    @Inject(BLOCKING_REDIS) blocking: Redis,
  ) {
    this.#clients = [pool, commands, blocking];
  }

  async onApplicationShutdown(): Promise<void> {
    const [pool, commands, blocking] = this.#clients;
    await Promise.allSettled([commands.quit(), blocking.quit(), pool.end()]);
  }
}

const redisOf = (name: string) => (config: WorkerConfig, logger: JsonLogger) =>
  createRedis({ host: config.REDIS_HOST, port: config.REDIS_PORT, password: config.REDIS_PASSWORD }, logger, name);

/** PostgreSQL (job results, matters) and the two Redis connections of the consumer. */
@Global()
@Module({
  providers: [
    {
      provide: POOL,
      inject: [WORKER_CONFIG, LOGGER],
      useFactory: (c: WorkerConfig, l: JsonLogger) => createPool(c.DATABASE_URL, l),
    },
    { provide: COMMANDS_REDIS, inject: [WORKER_CONFIG, LOGGER], useFactory: redisOf("worker") },
    { provide: BLOCKING_REDIS, inject: [WORKER_CONFIG, LOGGER], useFactory: redisOf("worker-reader") },
    DataStoresShutdown,
  ],
  exports: [POOL, COMMANDS_REDIS, BLOCKING_REDIS],
})
export class DataStoresModule {}
