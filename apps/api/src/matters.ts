import { randomUUID } from "node:crypto";
import {
  encodeJob,
  HttpError,
  JOB_FIELD,
  type Logger,
  type MatterIntakeJob,
  type Router,
  readJson,
  sendJson,
} from "@lawyers-hub/service-kit";
import type { Redis } from "ioredis";
import type pg from "pg";
import { z } from "zod";

const newMatter = z.object({
  title: z.string().trim().min(1).max(200),
  clientName: z.string().trim().min(1).max(200),
  ownerId: z.uuid().optional(),
});

const listQuery = z.object({
  status: z.enum(["INTAKE", "OPEN", "CLOSED"]).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const MATTER_COLUMNS = `id, reference, title, client_name AS "clientName", status, owner_id AS "ownerId",
  created_at AS "createdAt", updated_at AS "updatedAt"`;

export interface MatterDeps {
  pool: pg.Pool;
  redis: Redis;
  stream: string;
  logger: Logger;
}

/** POST /v1/matters, GET /v1/matters, GET /v1/matters/:id. */
export function matterRoutes(router: Router, deps: MatterDeps): void {
  router.post("/v1/matters", async ({ request, response }) => {
    const input = parse(newMatter, await readJson(request));
    const matter = await createMatter(deps, input);
    sendJson(response, 201, { matter });
  });

  router.get("/v1/matters", async ({ url, response }) => {
    const query = parse(listQuery, Object.fromEntries(url.searchParams));
    const params: unknown[] = [query.limit];
    const where = query.status ? `WHERE status = $2::"MatterStatus"` : "";
    if (query.status) params.push(query.status);
    const { rows } = await deps.pool.query(
      `SELECT ${MATTER_COLUMNS} FROM matters ${where} ORDER BY created_at DESC, id LIMIT $1`,
      params,
    );
    sendJson(response, 200, { matters: rows });
  });

  router.get("/v1/matters/:id", async ({ params, response }) => {
    const id = parse(z.uuid(), params.id);
    const { rows } = await deps.pool.query(`SELECT ${MATTER_COLUMNS} FROM matters WHERE id = $1`, [id]);
    if (rows.length === 0) throw new HttpError(404, `no matter ${id}`);
    const jobs = await deps.pool.query(
      `SELECT job_id AS "jobId", kind, status, result, error, processed_at AS "processedAt"
         FROM job_results WHERE matter_id = $1 ORDER BY processed_at`,
      [id],
    );
    sendJson(response, 200, { matter: rows[0], jobs: jobs.rows });
  });
}

/**
 * Inserts the matter, then enqueues its intake job. The insert is committed first so that the
 * worker always finds the matter; if Redis refuses the job, the matter is removed again and the
 * client is told to retry, so that no matter waits for a job that was never queued.
 */
async function createMatter(deps: MatterDeps, input: z.infer<typeof newMatter>) {
  const id = randomUUID();
  let matter: unknown;
  try {
    const { rows } = await deps.pool.query(
      `INSERT INTO matters (id, title, client_name, owner_id, updated_at)
       VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP) RETURNING ${MATTER_COLUMNS}`,
      [id, input.title, input.clientName, input.ownerId ?? null],
    );
    matter = rows[0];
  } catch (error) {
    if ((error as { code?: string }).code === "23503") throw new HttpError(422, "ownerId names no user");
    throw error;
  }
  const job: MatterIntakeJob = {
    id: randomUUID(),
    type: "matter.intake",
    matterId: id,
    enqueuedAt: new Date().toISOString(),
  };
  try {
    await deps.redis.xadd(deps.stream, "*", JOB_FIELD, encodeJob(job));
  } catch (error) {
    deps.logger.error("could not enqueue the intake job; removing the matter again", { matter_id: id, error });
    await deps.pool.query("DELETE FROM matters WHERE id = $1", [id]);
    throw new HttpError(503, "the job queue (Redis) is unavailable, so the matter was not created; try again shortly");
  }
  deps.logger.info("matter created", { matter_id: id, job_id: job.id });
  return matter;
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "value"}: ${issue.message}`);
  throw new HttpError(400, `invalid request: ${problems.join("; ")}`);
}
