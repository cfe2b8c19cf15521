import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { PrivateRedis } from "../../../ci/test/support/redis-server.ts";
import { migratedDatabase } from "../../test/support/database.ts";
import { runAppToExit, type ServiceProcess, startApp } from "../../test/support/service-process.ts";
import { eventually } from "../../test/support/wait.ts";

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
  const worker = await startApp("worker", { ...env, WORKER_CONSUMER: "worker-1" });
  const api = await startApp("api", env);

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
  const backlogMetric = async (service: ServiceProcess): Promise<number> => {
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

  it("reports its backlog and, on SIGTERM, finishes the jobs in hand before exiting 0", async () => {
    const matterId = await insertMatter();
    const jobIds = [randomUUID(), randomUUID(), randomUUID()];
    // Hold the matter's row lock so that the worker's first job waits for it: jobs are in flight.
    const blocker = await pool.connect();
    await blocker.query("BEGIN");
    await blocker.query("SELECT 1 FROM matters WHERE id = $1 FOR UPDATE", [matterId]);
    try {
      // One transaction, so that the blocked read receives all three in one batch.
      const enqueue = redis.multi();
      for (const id of jobIds) enqueue.xadd(STREAM, "*", "job", job(matterId, id));
      await enqueue.exec();
      await eventually("a backlog of 3", async () => ((await backlogMetric(worker)) === 3 ? true : undefined));

      worker.signal("SIGTERM");
      await eventually("the drain to start", async () =>
        worker.logs().some((line) => String(line.msg).startsWith("SIGTERM received")) ? true : undefined,
      );
      expect(worker.running).toBe(true);
    } finally {
      await blocker.query("COMMIT");
      blocker.release();
    }
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    const done = await results("job_id = ANY($1)", [jobIds]);
    expect(done.map((row) => row.status)).toEqual(["SUCCEEDED", "SUCCEEDED", "SUCCEEDED"]);
    expect(await pending()).toBe(0);
  });

  describe("with a second worker", () => {
    let second: ServiceProcess;

    it("takes over a job left pending by a consumer that died (at-least-once)", async () => {
      // A job delivered to a consumer that then died (never acknowledged) while no worker ran.
      expect(worker.running).toBe(false);
      const orphanMatter = await insertMatter();
      const orphanJob = randomUUID();
      await redis.xadd(STREAM, "*", "job", job(orphanMatter, orphanJob));
      const delivered = await redis.xreadgroup("GROUP", GROUP, "crashed-consumer", "COUNT", 10, "STREAMS", STREAM, ">");
      expect(delivered).not.toBeNull();
      expect(await pending()).toBe(1);

      second = await startApp("worker", { ...env, WORKER_CONSUMER: "worker-2", WORKER_CLAIM_IDLE_MS: "200" });
      const rows = await eventually("the orphaned job to be processed", async () => {
        const found = await results("job_id = $1", [orphanJob]);
        return found.length === 1 ? found : undefined;
      });
      expect(rows[0]).toMatchObject({ status: "SUCCEEDED", matter_id: orphanMatter });
      await eventually("no job left pending", async () => ((await pending()) === 0 ? true : undefined));
      expect(second.logs()).toContainEqual(expect.objectContaining({ msg: "consumer: took over stale jobs" }));
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
        const response = await eventually(`${service.app} to notice`, async () => {
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
        await eventually(`${service.app} to be ready again`, async () =>
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

    it("exits 0 on SIGTERM while idle", async () => {
      expect(await second.stop("SIGTERM")).toEqual({ code: 0, signal: null });
      expect(await api.stop("SIGTERM")).toEqual({ code: 0, signal: null });
    });
  });
});

describe("worker configuration", () => {
  it("stops with a line naming a missing REDIS_HOST", async () => {
    const result = await runAppToExit("worker", { DATABASE_URL: "postgresql://postgres@127.0.0.1/postgres" });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/"level":"fatal".*invalid configuration: REDIS_HOST is not set/);
  });
});
