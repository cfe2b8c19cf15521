import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { PrivateRedis } from "../../../ci/test/support/redis-server.ts";
import { ApiModule } from "../../api/src/api.module.ts";
import { apiConfigSchema } from "../../api/src/config.ts";
import { migrationNames } from "../../api/src/migrations.ts";
import { migratedDatabase } from "../../test/support/database.ts";
import { CapturedLogs, type RunningApp, serveNestApp } from "../../test/support/nest-app.ts";
import { eventually } from "../../test/support/wait.ts";
import { workerConfigSchema } from "../src/config.ts";
import { WorkerModule } from "../src/worker.module.ts";

// The worker's and the api's root modules compiled with @nestjs/testing, against the real
// PostgreSQL and a Redis of the test's own; app.close() runs the shutdown hooks SIGTERM runs.

async function startWorker(env: Record<string, string>) {
  const logs = new CapturedLogs("worker", env);
  const app = await serveNestApp(WorkerModule.forRoot(workerConfigSchema.parse(env), logs.logger));
  return Object.assign(app, { logs });
}

async function startApi(env: Record<string, string>) {
  const config = apiConfigSchema.parse(env);
  const logs = new CapturedLogs("api", env);
  return serveNestApp(
    ApiModule.forRoot({ config, logger: logs.logger, expectedMigrations: migrationNames(config.MIGRATIONS_DIR) }),
  );
}

const STREAM = "lh-test:jobs";
const GROUP = "lawyers-hub-worker";

interface JobRow {
  job_id: string;
  kind: string;
  status: string;
  matter_id: string | null;
  error: string | null;
}

describe("worker", async () => {
  const redisServer = await PrivateRedis.start();
  const database = await migratedDatabase();
  const pool = new pg.Pool({ connectionString: database.url, max: 3 });
  // The database is dropped WITH (FORCE) after the file: idle clients may be cut before pool.end().
  pool.on("error", () => {});
  const redis = new Redis({ host: "127.0.0.1", port: redisServer.port, maxRetriesPerRequest: 1 });
  afterAll(async () => {
    redis.disconnect();
    await pool.end();
  });
  const env = {
    DATABASE_URL: database.url,
    REDIS_HOST: "127.0.0.1",
    REDIS_PORT: String(redisServer.port),
    JOBS_STREAM: STREAM,
    WORKER_BLOCK_MS: "500",
  };
  const worker = await startWorker({ ...env, WORKER_CONSUMER: "worker-1" });
  const api = await startApi(env);

  const insertMatter = async (): Promise<string> => {
    const id = randomUUID();
    await pool.query("INSERT INTO matters (id, title, client_name, updated_at) VALUES ($1, 'T', 'C', now())", [id]);
    return id;
  };
  const job = (matterId: string, id = randomUUID()) =>
    JSON.stringify({ id, type: "matter.intake", matterId, enqueuedAt: new Date().toISOString() });
  const results = async (where: string, params: unknown[]): Promise<JobRow[]> =>
    (await pool.query<JobRow>(`SELECT job_id, kind, status, matter_id, error FROM job_results WHERE ${where}`, params))
      .rows;
  const pending = async (): Promise<number> => Number(((await redis.xpending(STREAM, GROUP)) as [number])[0]);
  const backlogMetric = async (service: RunningApp): Promise<number> => {
    const text = await (await service.get("/metrics")).text();
    const match = /^worker_queue_backlog\{[^}]*\} (\d+)$/m.exec(text);
    return Number(match?.[1] ?? Number.NaN);
  };

  it("answers /health, /ready (PostgreSQL and Redis) and /metrics with its queue backlog", async () => {
    expect((await worker.get("/health")).status).toBe(200);
    const ready = await worker.get("/ready");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ checks: { postgres: "ok", redis: "ok" }, failing: [] });
    const metrics = await (await worker.get("/metrics")).text();
    expect(metrics).toContain("# TYPE worker_queue_backlog gauge");
    expect(metrics).toContain("# TYPE http_requests_total counter");
    expect(metrics).toContain("# TYPE http_request_duration_seconds histogram");
    expect(metrics).toContain("nodejs_heap_size_used_bytes");
  });

  it("processes a matter created through the api, end to end", async () => {
    const response = await api.post("/v1/matters", { title: "Estate of Smith", clientName: "R. Smith" });
    expect(response.status).toBe(201);
    const { matter } = (await response.json()) as { matter: { id: string } };

    const opened = await eventually("the worker to open the matter", async () => {
      const body = (await (await api.get(`/v1/matters/${matter.id}`)).json()) as {
        matter: { status: string; reference: string | null };
        jobs: Array<{ status: string; kind: string }>;
      };
      return body.matter.status === "OPEN" ? body : undefined;
    });
    expect(opened.matter.reference).toMatch(/^LH-\d{4}-[0-9A-F]{8}$/);
    expect(opened.jobs).toEqual([expect.objectContaining({ kind: "matter.intake", status: "SUCCEEDED" })]);
    await eventually("the job to be acknowledged", async () => ((await pending()) === 0 ? true : undefined));
  });

  it("reports its backlog and, on shutdown, finishes the job in hand and hands the rest back: no job lost", async () => {
    const matterId = await insertMatter();
    const jobIds = [randomUUID(), randomUUID(), randomUUID()];
    // Hold the matter's row lock so that the worker's first job waits for it: jobs are in flight.
    const blocker = await pool.connect();
    await blocker.query("BEGIN");
    await blocker.query("SELECT 1 FROM matters WHERE id = $1 FOR UPDATE", [matterId]);
    let closing: Promise<void>;
    try {
      // One transaction, so that the blocked read receives all three in one batch.
      const enqueue = redis.multi();
      for (const id of jobIds) enqueue.xadd(STREAM, "*", "job", job(matterId, id));
      await enqueue.exec();
      await eventually("a backlog of 3", async () => ((await backlogMetric(worker)) === 3 ? true : undefined));

      // What SIGTERM runs: Nest's shutdown hooks. The first job waits on the lock meanwhile.
      closing = worker.close();
      await eventually("the consumer to start stopping", async () =>
        worker.logs.text.includes("consumer: stopping (finishing the job in hand)") ? true : undefined,
      );
      expect(await results("job_id = ANY($1)", [jobIds])).toEqual([]);
    } finally {
      await blocker.query("COMMIT");
      blocker.release();
    }
    await closing;
    // The job in hand was finished and acknowledged; the two not started are pending, handed back.
    const done = await results("job_id = ANY($1)", [jobIds]);
    expect(done.map((row) => row.job_id)).toEqual([jobIds[0]]);
    expect(await pending()).toBe(2);
    expect(worker.logs.entries()).toContainEqual(
      expect.objectContaining({ msg: "consumer: stopping; handed back the jobs not started", count: 2 }),
    );

    // The next worker (another consumer, the default claim idle time of 60 s) takes them over at once.
    const next = await startWorker({ ...env, WORKER_CONSUMER: "worker-next" });
    await eventually("the handed-back jobs to be done", async () =>
      (await results("job_id = ANY($1)", [jobIds])).length === 3 && (await pending()) === 0 ? true : undefined,
    );
    const all = await results("job_id = ANY($1)", [jobIds]);
    expect(all.map((row) => row.status)).toEqual(["SUCCEEDED", "SUCCEEDED", "SUCCEEDED"]);
    await next.close();
  });

  describe("with a second worker", () => {
    let second: Awaited<ReturnType<typeof startWorker>>;

    it("takes over a job left pending by a consumer that died (at-least-once)", async () => {
      // A job delivered to a consumer that then died (never acknowledged) while no worker ran.
      const orphanMatter = await insertMatter();
      const orphanJob = randomUUID();
      await redis.xadd(STREAM, "*", "job", job(orphanMatter, orphanJob));
      const delivered = await redis.xreadgroup("GROUP", GROUP, "crashed-consumer", "COUNT", 10, "STREAMS", STREAM, ">");
      expect(delivered).not.toBeNull();
      expect(await pending()).toBe(1);

      second = await startWorker({ ...env, WORKER_CONSUMER: "worker-2", WORKER_CLAIM_IDLE_MS: "200" });
      const rows = await eventually("the orphaned job to be processed", async () => {
        const found = await results("job_id = $1", [orphanJob]);
        return found.length === 1 ? found : undefined;
      });
      expect(rows[0]).toMatchObject({ status: "SUCCEEDED", matter_id: orphanMatter });
      await eventually("no job left pending", async () => ((await pending()) === 0 ? true : undefined));
      expect(second.logs.entries()).toContainEqual(expect.objectContaining({ msg: "consumer: took over stale jobs" }));
    });

    it("records a job delivered twice only once", async () => {
      const matterId = await insertMatter();
      const jobId = randomUUID();
      const payload = job(matterId, jobId);
      await redis.xadd(STREAM, "*", "job", payload);
      await redis.xadd(STREAM, "*", "job", payload);
      await eventually("both deliveries acknowledged", async () => {
        const rows = await results("job_id = $1", [jobId]);
        return rows.length === 1 && (await pending()) === 0 && (await backlogMetric(second)) === 0 ? true : undefined;
      });
      expect(await results("job_id = $1", [jobId])).toHaveLength(1);
    });

    it("records an entry that is not a job as failed and does not retry it", async () => {
      const entryId = await redis.xadd(STREAM, "*", "job", "{not json");
      const rows = await eventually("the bad entry to be recorded", async () => {
        const found = await results("job_id = $1", [`entry:${entryId}`]);
        return found.length === 1 ? found : undefined;
      });
      expect(rows[0]).toMatchObject({ kind: "undecodable", status: "FAILED" });
      await eventually("the bad entry acknowledged", async () => ((await pending()) === 0 ? true : undefined));
    });

    it("is not ready, naming Redis, while Redis is down, and ready again once it is back", async () => {
      await redisServer.stop();
      for (const service of [second, api]) {
        const response = await eventually(`${service.url} to notice`, async () => {
          const answer = await service.get("/ready");
          return answer.status === 503 ? answer : undefined;
        });
        const body = (await response.json()) as { failing: string[]; checks: Record<string, string> };
        expect(body.failing).toEqual(["redis"]);
        expect(body.checks.postgres).toBe("ok");
      }
      expect((await second.get("/metrics")).status).toBe(200);
      expect((await api.post("/v1/matters", { title: "No queue", clientName: "X" })).status).toBe(503);

      await redisServer.start();
      for (const service of [second, api]) {
        await eventually(`${service.url} to be ready again`, async () =>
          (await service.get("/ready")).status === 200 ? true : undefined,
        );
      }
      // Redis came back empty (no persistence): the worker recreates its group and carries on.
      const created = await api.post("/v1/matters", { title: "After the outage", clientName: "Y" });
      expect(created.status).toBe(201);
      const { matter } = (await created.json()) as { matter: { id: string } };
      await eventually("the matter opened after the outage", async () => {
        const rows = await pool.query("SELECT status FROM matters WHERE id = $1", [matter.id]);
        return rows.rows[0]?.status === "OPEN" ? true : undefined;
      });
    });

    it("shuts down at once while idle", async () => {
      const started = Date.now();
      await second.close();
      await api.close();
      expect(Date.now() - started).toBeLessThan(3000);
    });
  });
});
