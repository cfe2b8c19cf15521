import type { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../../ci/test/support/redis-server.ts";
import { TEST_REDIS } from "../../../ci/test/support/service-addresses.ts";
import { createRedis, redisCheck } from "../src/data-stores.ts";
import { Logger } from "../src/logger.ts";
import { checkReadiness } from "../src/readiness.ts";

/** Against the shared real Redis (TEST_REDIS: the machine's, or the test container's service) and a port where nothing listens. */
const logger = new Logger({ service: "test", write: () => {} });
const clients: Redis[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

function connect(host: string, port: number): Redis {
  const client = createRedis({ host, port }, logger, "readiness-test");
  clients.push(client);
  return client;
}

describe("the Redis readiness check", () => {
  it("a probe arriving while the first connection is still being made waits for it: ready", async () => {
    const client = connect(TEST_REDIS.host, TEST_REDIS.port);
    expect(client.status).toBe("connecting");
    const report = await checkReadiness([redisCheck(client)], 3000);
    expect(report).toEqual({ ready: true, checks: { redis: "ok" }, failing: [] });
  });

  it("reports Redis as down, without waiting out the deadline, when nothing listens", async () => {
    const client = connect("127.0.0.1", await freePort());
    const report = await checkReadiness([redisCheck(client)], 60_000);
    expect(report.failing).toEqual(["redis"]);
    expect(report.checks.redis).toBe("not connected (reconnecting)");
  });
});
