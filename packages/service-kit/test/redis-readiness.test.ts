import type { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../../ci/test/support/redis-server.ts";
import { createRedis, redisCheck } from "../src/data-stores.ts";
import { createJsonLogger } from "../src/json-logger.ts";
import { checkReadiness } from "../src/readiness.ts";

/** Against the machine's real Redis (127.0.0.1:6379) and a port where nothing listens. */
const logger = createJsonLogger({ service: "test", level: "silent" as "info" });
const clients: Redis[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

function connect(port: number): Redis {
  const client = createRedis({ host: "127.0.0.1", port }, logger, "readiness-test");
  clients.push(client);
  return client;
}

describe("the Redis readiness check", () => {
  it("a probe arriving while the first connection is still being made waits for it: ready", async () => {
    const client = connect(6379);
    expect(client.status).toBe("connecting");
    const report = await checkReadiness([redisCheck(client)], 3000);
    expect(report).toEqual({ ready: true, checks: { redis: "ok" }, failing: [] });
  });

  it("reports Redis as down, without waiting out the deadline, when nothing listens", async () => {
    const client = connect(await freePort());
    const report = await checkReadiness([redisCheck(client)], 60_000);
    expect(report.failing).toEqual(["redis"]);
    expect(report.checks.redis).toBe("not connected (reconnecting)");
  });
});
