/**
 * PostgreSQL and Redis clients for the services that need them (api, worker), behind their own
 * entry point so that the services without a database do not load pg and ioredis.
 */

import { Redis } from "ioredis";
import pg from "pg";
import type { JsonLogger } from "./json-logger.ts";

/** The PostgreSQL pool; connection failures surface quickly instead of queueing forever. */
export function createPool(url: string, logger: JsonLogger): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 3000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on("error", (error) => logger.warn({ error }, "postgres: idle connection lost"));
  return pool;
}

export interface RedisSettings {
  host: string;
  port: number;
  password?: string;
}

/**
 * A Redis client that fails fast while disconnected (no offline queue) and keeps reconnecting in
 * the background, so that readiness reports Redis as down at once and recovers on its own.
 */
export function createRedis(settings: RedisSettings, logger: JsonLogger, name: string): Redis {
  const redis = new Redis({
    host: settings.host,
    port: settings.port,
    password: settings.password || undefined,
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 3000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  let lastError = "";
  redis.on("error", (error: Error) => {
    // One line per distinct error, not one per reconnect attempt.
    if (error.message === lastError) return;
    lastError = error.message;
    logger.warn({ connection: name, error }, "redis: connection problem");
  });
  redis.on("ready", () => {
    if (lastError) logger.info({ connection: name }, "redis: connected again");
    lastError = "";
  });
  return redis;
}
