import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError, parseConfig, port, postgresUrl, required, secretValues } from "../src/config.ts";
import { decodeJob } from "../src/jobs.ts";
import { createJsonLogger } from "../src/json-logger.ts";

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

describe("createJsonLogger", () => {
  it("writes one JSON object per line (pino), with the environment's secrets replaced wherever they appear", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        lines.push(chunk.toString("utf8"));
        done();
      },
    });
    const secrets = secretValues({ DATABASE_URL: "postgresql://u:s3cret-value@db/x" });
    const logger = createJsonLogger({ service: "t", secrets, destination: sink });
    logger.info({ url: "postgresql://u:s3cret-value@db/x", error: new Error("bad s3cret-value") }, "connecting");
    logger.debug("not shown at info");
    expect(lines).toHaveLength(1);
    expect(lines[0]?.endsWith("\n")).toBe(true);
    const entry = JSON.parse(lines[0] ?? "") as Record<string, unknown>;
    expect(entry).toMatchObject({ level: "info", service: "t", msg: "connecting", error: { message: "bad ***" } });
    expect(typeof entry.time).toBe("string");
    expect(lines[0]).not.toContain("s3cret-value");
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
