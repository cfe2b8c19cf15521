import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { withClient } from "../../../ci/test/support/database.ts";
import { applyMigrations } from "../../../ci/test/support/prisma-migrations.ts";
import { TEST_REDIS } from "../../../ci/test/support/service-addresses.ts";
import { API_MIGRATIONS, migratedDatabase } from "../../test/support/database.ts";
import { CapturedLogs, serveNestApp } from "../../test/support/nest-app.ts";
import { ApiModule } from "../src/api.module.ts";
import { apiConfigSchema } from "../src/config.ts";
import { REDIS } from "../src/data/data-stores.module.ts";
import { migrationNames } from "../src/migrations.ts";

// The api's root module compiled with @nestjs/testing, against the machine's real PostgreSQL and Redis.

const REDIS_HOST = TEST_REDIS.host;
const REDIS_PORT = String(TEST_REDIS.port);
const stream = `lh-test:api:${randomBytes(4).toString("hex")}`;
const redis = new Redis({ host: REDIS_HOST, port: TEST_REDIS.port, lazyConnect: true });
afterAll(async () => {
  await redis.del(stream);
  redis.disconnect();
});

async function startApi(env: Record<string, string>) {
  const full = { REDIS_HOST, REDIS_PORT, JOBS_STREAM: stream, ...env };
  const config = apiConfigSchema.parse(full);
  const logs = new CapturedLogs("api", full);
  const expectedMigrations = migrationNames(config.MIGRATIONS_DIR);
  const api = await serveNestApp(ApiModule.forRoot({ config, logger: logs.logger, expectedMigrations }));
  return { api, logs };
}

describe("api", async () => {
  const database = await migratedDatabase();
  const { api, logs } = await startApi({ DATABASE_URL: database.url, RELEASE: "0123abcd" });

  it("answers /health with its release, and /ready with every dependency named", async () => {
    const health = await api.get("/health");
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok", service: "api", release: "0123abcd" });
    const ready = await api.get("/ready");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: "ready",
      service: "api",
      checks: { postgres: "ok", redis: "ok", migrations: "ok" },
      failing: [],
    });
  });

  it("creates a matter through Prisma, enqueues its intake job on the stream, and lists it", async () => {
    const created = await api.post("/v1/matters", { title: "Doe v. Roe", clientName: "Jane Doe" });
    expect(created.status).toBe(201);
    const { matter } = (await created.json()) as { matter: Record<string, unknown> };
    expect(Object.keys(matter).sort()).toEqual(
      ["clientName", "createdAt", "id", "ownerId", "reference", "status", "title", "updatedAt"].sort(),
    );
    expect(matter).toMatchObject({ status: "INTAKE", reference: null, ownerId: null, clientName: "Jane Doe" });

    const entries = await redis.xrange(stream, "-", "+");
    const jobs = entries.map(([, fields]) => JSON.parse(fields[1] ?? "{}") as { matterId: string; type: string });
    expect(jobs).toContainEqual(expect.objectContaining({ matterId: matter.id, type: "matter.intake" }));

    const list = (await (await api.get("/v1/matters?status=INTAKE")).json()) as { matters: Array<{ id: string }> };
    expect(list.matters.map((m) => m.id)).toContain(matter.id);
    const none = (await (await api.get("/v1/matters?status=CLOSED")).json()) as { matters: unknown[] };
    expect(none.matters).toEqual([]);
    const one = await api.get(`/v1/matters/${matter.id}`);
    expect(one.status).toBe(200);
    expect(await one.json()).toEqual({ matter, jobs: [] });
  });

  it("answers bad input with {error} naming the field: 400, 404, 415, 422", async () => {
    const bad = await api.post("/v1/matters", { title: "" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^invalid request: title: .*clientName/);
    const unknownMatter = await api.get(`/v1/matters/${crypto.randomUUID()}`);
    expect(unknownMatter.status).toBe(404);
    expect(await unknownMatter.json()).toEqual({ error: expect.stringMatching(/^no matter /) });
    expect((await api.get("/v1/matters/not-a-uuid")).status).toBe(400);
    const nowhere = await api.get("/nowhere/12345");
    expect(nowhere.status).toBe(404);
    expect(await nowhere.json()).toEqual({ error: "no route for GET /nowhere/12345" });
    const text = await fetch(`${api.url}/v1/matters`, { method: "POST", body: "title=x" });
    expect(text.status).toBe(415);
    const broken = await fetch(`${api.url}/v1/matters`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toEqual({ error: expect.any(String) });
    const owner = await api.post("/v1/matters", { title: "t", clientName: "c", ownerId: crypto.randomUUID() });
    expect(owner.status).toBe(422);
    expect(await owner.json()).toEqual({ error: "ownerId names no user" });
  });

  it("exposes Prometheus metrics labelled with the route pattern, never the raw URL", async () => {
    const id = crypto.randomUUID();
    await api.get(`/v1/matters/${id}`);
    await api.get("/nowhere/else");
    const response = await api.get("/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const text = await response.text();
    expect(text).toContain("# TYPE http_requests_total counter");
    expect(text).toContain("# TYPE http_request_duration_seconds histogram");
    expect(text).toContain("process_cpu_seconds_total");
    expect(text).toMatch(/http_requests_total\{method="POST",route="\/v1\/matters",status_code="201",service="api"\}/);
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/v1\/matters\/:id",status_code="404"/);
    expect(text).toMatch(/http_request_duration_seconds_bucket\{[^}]*method="GET",route="\/health",status_code="200"/);
    expect(text).toMatch(/route="unmatched",status_code="404"/);
    expect(text).not.toContain(id);
    expect(text).not.toContain("/nowhere");
  });

  it("logs one JSON object per line: requests with method, route pattern, status and duration", () => {
    const entries = logs.entries();
    expect(entries).toContainEqual(
      expect.objectContaining({ service: "api", level: "info", msg: "request", route: "/v1/matters" }),
    );
    const matterCreated = entries.find((entry) => entry.msg === "matter created");
    expect(matterCreated).toMatchObject({ level: "info", matter_id: expect.any(String) });
    const request = entries.find(
      (entry) =>
        entry.msg === "request" &&
        entry.route === "/v1/matters/:id" &&
        (entry.res as { status: number }).status === 404,
    );
    expect(request).toMatchObject({ req: { method: "GET" }, res: { status: 404 }, duration_ms: expect.any(Number) });
    expect(logs.text).not.toContain("authorization");
  });

  it("closes its Redis connection and PostgreSQL pool in Nest's shutdown hooks", async () => {
    const second = await startApi({ DATABASE_URL: database.url });
    const redisClient = second.api.app.get<Redis>(REDIS);
    expect((await second.api.get("/ready")).status).toBe(200);
    await second.api.close();
    await expect(redisClient.ping()).rejects.toThrow();
    await expect(fetch(`${second.api.url}/health`)).rejects.toThrow();
    expect(second.logs.text).not.toContain('"level":"error"');
  });
});

describe("api readiness", () => {
  it("is not ready while a migration of its folder is not applied, and ready once it is", async () => {
    const partial = await migratedDatabase(1);
    const { api } = await startApi({ DATABASE_URL: partial.url });
    const notReady = await api.get("/ready");
    expect(notReady.status).toBe(503);
    const body = (await notReady.json()) as { status: string; failing: string[]; checks: Record<string, string> };
    expect(body.status).toBe("not ready");
    expect(body.failing).toEqual(["migrations"]);
    expect(body.checks.migrations).toBe("1 pending: 20261118141500_job_results; run prisma migrate deploy");

    await withClient(partial.url, (client) => applyMigrations(client, API_MIGRATIONS));
    expect((await api.get("/ready")).status).toBe(200);
  });

  it("says no migration was applied on an empty database", async () => {
    const empty = await migratedDatabase(0);
    const { api } = await startApi({ DATABASE_URL: empty.url });
    const body = (await (await api.get("/ready")).json()) as { checks: Record<string, string> };
    expect(body.checks.migrations).toContain("run prisma migrate deploy");
  });

  it("is not ready, naming PostgreSQL, when the database does not answer, and logs no password", async () => {
    const unreachable = "postgresql://postgres:hunter2-db-secret@127.0.0.1:1/nowhere";
    const { api, logs } = await startApi({ DATABASE_URL: unreachable });
    const response = await api.get("/ready");
    expect(response.status).toBe(503);
    const body = (await response.json()) as { failing: string[]; checks: Record<string, string> };
    expect(body.failing).toEqual(expect.arrayContaining(["postgres", "migrations"]));
    expect(body.failing).not.toContain("redis");
    expect(JSON.stringify(body)).not.toContain("hunter2-db-secret");
    expect(logs.text).not.toContain("hunter2-db-secret");
  });
});
