import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { TEST_REDIS } from "../../ci/test/support/service-addresses.ts";
import { buildWorkspaces } from "./support/build.ts";
import { migratedDatabase } from "./support/database.ts";
import { runAppToExit, startApp } from "./support/service-process.ts";

// The three NestJS services compiled as their images compile them and run as processes: what only a
// real process shows (configuration errors before Nest starts, SIGTERM, every stdout line JSON).

const REDIS_HOST = TEST_REDIS.host;
const JOBS_STREAM = `lh-test:processes:${randomBytes(4).toString("hex")}`;

beforeAll(() => buildWorkspaces(["packages/service-kit", "apps/api", "apps/ai-gateway", "apps/worker"]), 600_000);

describe("the compiled NestJS services as processes", () => {
  it("api and worker serve, then on SIGTERM run the shutdown hooks and exit 0, logging only JSON lines", async () => {
    const database = await migratedDatabase();
    const env = {
      DATABASE_URL: database.url,
      REDIS_HOST,
      REDIS_PORT: String(TEST_REDIS.port),
      JOBS_STREAM,
      RELEASE: "0123abcd",
    };
    const api = await startApp("api", env);
    const worker = await startApp("worker", { ...env, WORKER_BLOCK_MS: "300" });
    expect(await (await api.get("/health")).json()).toEqual({ status: "ok", service: "api", release: "0123abcd" });
    expect((await api.get("/ready")).status).toBe(200);
    expect((await worker.get("/ready")).status).toBe(200);
    expect((await api.post("/v1/matters", { title: "T", clientName: "C" })).status).toBe(201);

    for (const service of [api, worker]) {
      expect(await service.stop("SIGTERM")).toEqual({ code: 0, signal: null });
      const messages = service.logs().map((line) => line.msg);
      expect(messages).toEqual(
        expect.arrayContaining(["SIGTERM received: shutting down (at most 8000 ms)", "stopped"]),
      );
      expect(service.stderr).toBe("");
    }
  });

  it("on SIGTERM the api keeps answering until a second passed without a request, then exits 0", async () => {
    const database = await migratedDatabase();
    const api = await startApp("api", {
      DATABASE_URL: database.url,
      REDIS_HOST,
      REDIS_PORT: String(TEST_REDIS.port),
      JOBS_STREAM,
    });
    const signalled = Date.now();
    api.signal("SIGTERM");
    // What a proxy sent just before it switched away is answered, not reset: the server still
    // serves while requests arrive (each restarts the quiet second).
    for (let sent = 0; sent < 6; sent++) {
      expect((await api.get("/health")).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const lastAnswered = Date.now();
    expect(await api.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - lastAnswered).toBeGreaterThanOrEqual(800);
    expect(Date.now() - signalled).toBeGreaterThanOrEqual(1_500);
    await expect(api.get("/health")).rejects.toThrow();
  });

  it("the ai-gateway without a key warns that AI features are disabled, and never prints a key", async () => {
    const gateway = await startApp("ai-gateway", { OPENAI_API_KEY: "" });
    expect((await gateway.post("/v1/complete", { prompt: "x" })).status).toBe(503);
    expect(await gateway.stop("SIGTERM")).toEqual({ code: 0, signal: null });
    expect(gateway.logs()).toContainEqual(
      expect.objectContaining({ level: "warn", service: "ai-gateway", msg: expect.stringContaining("disabled") }),
    );
  });

  it("each stops before Nest starts with one fatal JSON line per bad variable, naming it, never its value", async () => {
    const api = await runAppToExit("api", { REDIS_HOST });
    expect(api.code).toBe(1);
    const lines = api.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({ level: "fatal", service: "api", variable: "DATABASE_URL" });
    expect(lines[0]).toMatch(/invalid configuration: DATABASE_URL is not set; set it to a postgresql:\/\/ URL/);

    const secretUrl = "mysql://root:sup3r-s3cret-pw@db/app";
    const worker = await runAppToExit("worker", { DATABASE_URL: secretUrl, REDIS_PORT: "seventy" });
    expect(worker.code).toBe(1);
    expect(worker.stdout).toContain("DATABASE_URL is not a postgres:// or postgresql:// URL");
    expect(worker.stdout).toContain("REDIS_HOST is not set");
    expect(worker.stdout).toContain("REDIS_PORT is not a number");
    expect(worker.stdout + worker.stderr).not.toContain("sup3r-s3cret-pw");

    const gateway = await runAppToExit("ai-gateway", { OPENAI_BASE_URL: "ftp://models" });
    expect(gateway.code).toBe(1);
    expect(gateway.stdout).toContain("invalid configuration: OPENAI_BASE_URL is not an http:// or https:// URL");

    const migrations = await runAppToExit("api", {
      DATABASE_URL: "postgresql://postgres@127.0.0.1/postgres",
      REDIS_HOST,
      MIGRATIONS_DIR: "/nonexistent/migrations",
    });
    expect(migrations.code).toBe(1);
    expect(migrations.stdout).toContain("MIGRATIONS_DIR");
    expect(migrations.stdout).toContain("/nonexistent/migrations does not exist");
  });
});
