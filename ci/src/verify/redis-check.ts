import { Redis } from "ioredis";
import type { Check } from "./check.ts";
import { CheckFailure } from "./check.ts";
import { networkReason } from "./reasons.ts";

export interface RedisTarget {
  host: string;
  port: number;
  password?: string;
}

/** Redis answers PING and its major version is the one the stack is built for. */
export function redisCheck(target: RedisTarget, expectedMajor = 7): Check {
  const place = `${target.host}:${target.port}`;
  return {
    name: "redis",
    target: `Redis at ${place}`,
    async attempt(signal, timeoutMs) {
      // No offline queue, no retries, a connect timeout: a command fails at once instead of hanging.
      const client = new Redis({
        host: target.host,
        port: target.port,
        password: target.password || undefined,
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        connectTimeout: timeoutMs,
        commandTimeout: timeoutMs,
        retryStrategy: () => null,
        disconnectTimeout: Math.min(timeoutMs, 500),
      });
      // ioredis reports the socket's error as an event and rejects connect() with "Connection is closed".
      let socketError: unknown;
      client.on("error", (error) => {
        socketError ??= error;
      });
      // A closed connection needs no disconnect (ioredis would arm a timer that holds the process).
      const stop = () => {
        if (client.status !== "end") client.disconnect();
      };
      signal.addEventListener("abort", stop, { once: true });
      try {
        try {
          await client.connect();
          const pong = await client.ping();
          if (pong !== "PONG") throw new Error(`PING answered ${pong}`);
        } catch (error) {
          const message = String((socketError as Error | undefined)?.message ?? (error as Error).message);
          if (/WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(message)) {
            throw new CheckFailure(`Redis at ${place} refused the password; check REDIS_PASSWORD`, { final: true });
          }
          throw new CheckFailure(
            networkReason(socketError ?? error, { host: target.host, port: target.port }, timeoutMs),
          );
        }
        const info = await client.info("server");
        const version = /^redis_version:(\S+)/m.exec(info)?.[1] ?? "unknown";
        if (Number(version.split(".")[0]) !== expectedMajor) {
          throw new CheckFailure(`Redis ${version} at ${place}, expected major version ${expectedMajor}`, {
            final: true,
          });
        }
        return `PONG, Redis ${version}`;
      } finally {
        signal.removeEventListener("abort", stop);
        stop();
      }
    },
  };
}
