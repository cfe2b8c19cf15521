import type { HealthIndicatorResult, HealthIndicatorService } from "@nestjs/terminus";
import type { Redis } from "ioredis";

/** ioredis states while a connection attempt is under way (at start-up or a reconnect). */
const CONNECTING = new Set(["connecting", "connect"]);

/**
 * Redis answers PING. A probe arriving while a connection attempt is under way waits for that
 * attempt to end, so that it reports whether Redis answers rather than that the first connection
 * has not finished yet; a refused connection ends the attempt at once, the timeout bounds a hang.
 */
export function redisIndicator(
  indicators: HealthIndicatorService,
  redis: Redis,
  timeoutMs: number,
  key = "redis",
): () => PromiseLike<HealthIndicatorResult> {
  return () =>
    indicators
      .check(key)
      .attempt(async ({ signal }) => {
        if (CONNECTING.has(redis.status)) await connectionAttempt(redis, signal);
        if (redis.status !== "ready") throw new Error(`not connected (${redis.status})`);
        await redis.ping();
      })
      .withTimeout(timeoutMs);
}

function connectionAttempt(redis: Redis, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      redis.off("ready", done).off("close", done).off("end", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    redis.on("ready", done).on("close", done).on("end", done);
    signal.addEventListener("abort", done);
  });
}
