import { HealthIndicatorService } from "@nestjs/terminus";
import type { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../../ci/test/support/redis-server.ts";
import { TEST_REDIS } from "../../../ci/test/support/service-addresses.ts";
import { createRedis } from "../src/data-stores.ts";
import { createJsonLogger } from "../src/json-logger.ts";
import { redisIndicator } from "../src/nest/redis-indicator.ts";

/** Against the shared real Redis (TEST_REDIS) and a port where nothing listens. */
const logger = createJsonLogger({ service: "test", level: "error" });
const clients: Redis[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

function connect(host: string, port: number): Redis {
  const client = createRedis({ host, port }, logger, "readiness-test");
  clients.push(client);
  return client;
}

describe("the Redis readiness indicator (terminus)", () => {
  it("a probe arriving while the first connection is still being made waits for it: up", async () => {
    const client = connect(TEST_REDIS.host, TEST_REDIS.port);
    expect(client.status).toBe("connecting");
    const result = await redisIndicator(new HealthIndicatorService(), client, 3000)();
    expect(result.redis).toMatchObject({ status: "up" });
  });

  it("reports Redis as down, without waiting out the deadline, when nothing listens", async () => {
    const client = connect("127.0.0.1", await freePort());
    const started = Date.now();
    const result = await redisIndicator(new HealthIndicatorService(), client, 60_000)();
    expect(result.redis).toMatchObject({ status: "down", message: "not connected (reconnecting)" });
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
