import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { withClient } from "../../../ci/test/support/database.ts";
import { applyMigrations } from "../../../ci/test/support/prisma-migrations.ts";
import { TEST_REDIS } from "../../../ci/test/support/service-addresses.ts";
import { API_MIGRATIONS, migratedDatabase } from "../../test/support/database.ts";
import { runAppToExit, startApp } from "../../test/support/service-process.ts";

const REDIS_HOST = TEST_REDIS.host;
const REDIS_PORT = String(TEST_REDIS.port);
const stream = `lh-test:api:${randomBytes(4).toString("hex")}`;
const redis = new Redis({ host: REDIS_HOST, port: TEST_REDIS.port, lazyConnect: true });
afterAll(async () => {
  await redis.del(stream);
  redis.disconnect();
});

describe("api", async () => {
  const database = await migratedDatabase();
  const api = await startApp("api", {
    DATABASE_URL: database.url,
    REDIS_HOST,
    REDIS_PORT,
    JOBS_STREAM: stream,
    RELEASE: "0123abcd",
  });

  it("answers /health with its release, and /ready with every dependency named", async () => {
    const health = await api.get("/health");
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok", service: "api", release: "0123abcd" });
    const ready = await api.get("/ready");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: "ready",
      checks: { postgres: "ok", redis: "ok", migrations: "ok" },
      failing: [],
    });
  });

  it("creates a matter, enqueues its intake job on the stream, and lists it", async () => {
    const created = await api.post("/v1/matters", { title: "Doe v. Roe", clientName: "Jane Doe" });
    expect(created.status).toBe(201);
    const { matter } = (await created.json()) as { matter: { id: string; status: string } };
    expect(matter.status).toBe("INTAKE");

    const entries = await redis.xrange(stream, "-", "+");
    const jobs = entries.map(([, fields]) => JSON.parse(fields[1] ?? "{}") as { matterId: string; type: string });
    expect(jobs).toContainEqual(expect.objectContaining({ matterId: matter.id, type: "matter.intake" }));

    const list = (await (await api.get("/v1/matters")).json()) as { matters: Array<{ id: string }> };
    expect(list.matters.map((m) => m.id)).toContain(matter.id);
    const one = await api.get(`/v1/matters/${matter.id}`);
    expect(one.status).toBe(200);
    expect(((await one.json()) as { matter: { title: string } }).matter.title).toBe("Doe v. Roe");
  });

  it("rejects invalid input with 400 naming the field, and unknown routes with 404", async () => {
    const bad = await api.post("/v1/matters", { title: "" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/title.*clientName|clientName/);
    expect((await api.get(`/v1/matters/${crypto.randomUUID()}`)).status).toBe(404);
    expect((await api.get("/nowhere/12345")).status).toBe(404);
  });

  it("exposes Prometheus metrics labelled with the route pattern, never the raw URL", async () => {
    const id = crypto.randomUUID();
    await api.get(`/v1/matters/${id}`);
    const response = await api.get("/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const text = await response.text();
    expect(text).toContain("# TYPE http_requests_total counter");
    expect(text).toContain("# TYPE http_request_duration_seconds histogram");
    expect(text).toContain("process_cpu_seconds_total");
    expect(text).toMatch(/http_requests_total\{method="POST",route="\/v1\/matters",status_code="201"/);
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/v1\/matters\/:id",status_code="404"/);
    expect(text).toMatch(/http_request_duration_seconds_bucket\{[^}]*method="GET",route="\/health",status_code="200"/);
    expect(text).toMatch(/route="unmatched",status_code="404"/);
    expect(text).not.toContain(id);
    expect(text).not.toContain("/nowhere");
  });

  it("logs one JSON object per line on stdout", async () => {
    const logs = api.logs();
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).toContainEqual(expect.objectContaining({ service: "api", msg: "request", route: "/v1/matters" }));
  });

  it("is not ready while a migration of its folder is not applied, and ready once it is", async () => {
    const partial = await migratedDatabase(1);
    const behind = await startApp("api", { DATABASE_URL: partial.url, REDIS_HOST, REDIS_PORT, JOBS_STREAM: stream });
    const notReady = await behind.get("/ready");
    expect(notReady.status).toBe(503);
    const body = (await notReady.json()) as { failing: string[]; checks: Record<string, string> };
    expect(body.failing).toEqual(["migrations"]);
    expect(body.checks.migrations).toContain("20261118141500_job_results");
    expect(body.checks.migrations).toContain("prisma migrate deploy");

    await withClient(partial.url, (client) => applyMigrations(client, API_MIGRATIONS));
    expect((await behind.get("/ready")).status).toBe(200);
    expect(await behind.stop()).toEqual({ code: 0, signal: null });
  });

  it("is not ready, naming PostgreSQL, when the database does not answer", async () => {
    const unreachable = "postgresql://postgres:hunter2-db-secret@127.0.0.1:1/nowhere";
    const orphan = await startApp("api", { DATABASE_URL: unreachable, REDIS_HOST, REDIS_PORT, JOBS_STREAM: stream });
    const response = await orphan.get("/ready");
    expect(response.status).toBe(503);
    const body = (await response.json()) as { failing: string[] };
    expect(body.failing).toEqual(expect.arrayContaining(["postgres", "migrations"]));
    expect(await orphan.stop()).toEqual({ code: 0, signal: null });
    expect(orphan.stdout).not.toContain("hunter2-db-secret");
  });

  it("drains and exits 0 on SIGTERM", async () => {
    expect(await api.stop("SIGTERM")).toEqual({ code: 0, signal: null });
    expect(api.logs().map((line) => line.msg)).toEqual(
      expect.arrayContaining(["SIGTERM received: draining (at most 8000 ms)", "stopped"]),
    );
  });
});

describe("api configuration", () => {
  it("stops with one line naming a missing DATABASE_URL", async () => {
    const result = await runAppToExit("api", { REDIS_HOST });
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] ?? "{}") as { level: string; msg: string; variable: string };
    expect(line).toMatchObject({ level: "fatal", variable: "DATABASE_URL" });
    expect(line.msg).toMatch(/^invalid configuration: DATABASE_URL is not set; set it to a postgresql:\/\/ URL/);
  });

  it("names a malformed variable without printing its value", async () => {
    const secretUrl = "mysql://root:sup3r-s3cret-pw@db/app";
    const result = await runAppToExit("api", { DATABASE_URL: secretUrl, REDIS_HOST, REDIS_PORT: "seventy" });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("DATABASE_URL is not a postgres:// or postgresql:// URL");
    expect(result.stdout).toContain("REDIS_PORT is not a number");
    expect(result.stdout + result.stderr).not.toContain("sup3r-s3cret-pw");
  });

  it("stops naming MIGRATIONS_DIR when the folder does not exist", async () => {
    const result = await runAppToExit("api", {
      DATABASE_URL: "postgresql://postgres@127.0.0.1/postgres",
      REDIS_HOST,
      MIGRATIONS_DIR: "/nonexistent/migrations",
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("MIGRATIONS_DIR");
    expect(result.stdout).toContain("/nonexistent/migrations does not exist");
  });
});
