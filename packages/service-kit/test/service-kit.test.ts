import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError, parseConfig, port, postgresUrl, required, secretValues } from "../src/config.ts";
import { decodeJob } from "../src/jobs.ts";
import { Logger } from "../src/logger.ts";
import { checkReadiness } from "../src/readiness.ts";
import { Router } from "../src/router.ts";

describe("Router", () => {
  const router = new Router().get("/v1/matters", () => {}).post("/v1/matters", () => {});
  router.get("/v1/matters/:id", () => {});

  it("matches patterns, decodes parameters and reports the pattern as the route", () => {
    const match = router.match("GET", "/v1/matters/a%20b");
    expect(match).toMatchObject({ route: "/v1/matters/:id", params: { id: "a b" } });
    expect(router.match("POST", "/v1/matters")).toMatchObject({ route: "/v1/matters" });
    expect(router.match("GET", "/v1/matters/1/extra")).toBeUndefined();
  });

  it("tells a wrong method (405 with the allowed ones) from an unknown path", () => {
    expect(router.match("DELETE", "/v1/matters")).toEqual({ route: "/v1/matters", allowed: ["GET", "POST"] });
  });
});

describe("parseConfig", () => {
  const schema = z.object({
    DATABASE_URL: postgresUrl(),
    NAME: required("set it to a name"),
    PORT: port(4000),
  });

  it("applies defaults and treats empty values as unset", () => {
    const config = parseConfig(schema, { DATABASE_URL: "postgresql://u:p@db/app", NAME: "x", PORT: "" });
    expect(config.PORT).toBe(4000);
  });

  it("names every bad variable without quoting its value", () => {
    try {
      parseConfig(schema, { DATABASE_URL: "mysql://u:hidden-pw@db/app", PORT: "99999" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems.map((problem) => problem.variable).sort()).toEqual(["DATABASE_URL", "NAME", "PORT"]);
      expect(JSON.stringify(problems)).not.toContain("hidden-pw");
    }
  });

  it("finds the secrets of an environment: secret-named variables and URL passwords", () => {
    expect(
      secretValues({ OPENAI_API_KEY: "sk-abc", DATABASE_URL: "postgresql://u:p%40ss@db/x", PORT: "1" }).sort(),
    ).toEqual(["p%40ss", "p@ss", "sk-abc"]);
  });
});

describe("Logger", () => {
  it("writes one JSON object per line, with registered secrets replaced", () => {
    const lines: string[] = [];
    const logger = new Logger({ service: "t", write: (line) => lines.push(line) });
    logger.addSecret("s3cret-value");
    logger.info("connecting", { url: "postgresql://u:s3cret-value@db/x", error: new Error("bad s3cret-value") });
    logger.debug("not shown at info");
    expect(lines).toHaveLength(1);
    expect(lines[0]?.endsWith("\n")).toBe(true);
    const entry = JSON.parse(lines[0] ?? "") as Record<string, unknown>;
    expect(entry).toMatchObject({ level: "info", service: "t", msg: "connecting", error: { message: "bad ***" } });
    expect(lines[0]).not.toContain("s3cret-value");
  });
});

describe("checkReadiness", () => {
  it("names failing and hanging dependencies, each bounded by the timeout", async () => {
    const report = await checkReadiness(
      [
        { name: "postgres", check: async () => "ok" },
        {
          name: "redis",
          check: async () => {
            throw new Error("connection refused");
          },
        },
        { name: "hangs", check: () => new Promise(() => {}) },
      ],
      200,
    );
    expect(report).toEqual({
      ready: false,
      checks: { postgres: "ok", redis: "connection refused", hangs: "did not answer within 200 ms" },
      failing: ["redis", "hangs"],
    });
  });
});

describe("decodeJob", () => {
  it("accepts the api's intake job and says what is wrong with anything else", () => {
    const job = {
      id: crypto.randomUUID(),
      type: "matter.intake",
      matterId: crypto.randomUUID(),
      enqueuedAt: new Date().toISOString(),
    };
    expect(decodeJob(["job", JSON.stringify(job)])).toEqual(job);
    expect(() => decodeJob(["other", "x"])).toThrow('entry has no "job" field');
    expect(() => decodeJob(["job", "{"])).toThrow("not JSON");
    expect(() => decodeJob(["job", JSON.stringify({ ...job, type: "x" })])).toThrow("not a known job");
  });
});
