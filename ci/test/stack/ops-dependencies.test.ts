import { describe, expect, it } from "vitest";
import { healthyServices, opsDependencies } from "../../src/stack/stack.ts";

describe("what the ops session needs started", () => {
  it("reads the services ops depends on from compose config --format json", () => {
    const config = JSON.stringify({
      services: {
        ops: { depends_on: { postgres: { condition: "service_healthy" }, redis: { condition: "service_healthy" } } },
        api: { depends_on: { migrate: {} } },
      },
    });
    expect(opsDependencies(config)).toEqual(["postgres", "redis"]);
    expect(opsDependencies(JSON.stringify({ services: { ops: {} } }))).toEqual([]);
    expect(opsDependencies(JSON.stringify({ services: {} }))).toEqual([]);
  });

  it("counts a service as up only when its container runs and is healthy (or has no health check)", () => {
    const rows = [
      { Service: "postgres", State: "running", Health: "healthy" },
      { Service: "redis", State: "running", Health: "starting" },
      { Service: "migrate", State: "exited", Health: "" },
      { Service: "pushgateway", State: "running", Health: "" },
    ];
    const lines = rows.map((row) => JSON.stringify(row)).join("\n");
    expect(healthyServices(lines)).toEqual(["postgres", "pushgateway"]);
    expect(healthyServices(JSON.stringify(rows))).toEqual(["postgres", "pushgateway"]);
    expect(healthyServices("")).toEqual([]);
  });
});
