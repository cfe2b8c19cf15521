import { randomUUID } from "node:crypto";
import type { MatterIntakeJob } from "@lawyers-hub/service-kit";
import type pg from "pg";

export type IntakeOutcome = "opened" | "duplicate" | "matter-missing";

/**
 * Opens a matter that arrived in INTAKE and assigns its reference, recording the job's result.
 * Idempotent: a job id is recorded once (unique job_id), and a second delivery changes nothing.
 */
export async function processIntake(pool: pg.Pool, job: MatterIntakeJob): Promise<IntakeOutcome> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const seen = await client.query("SELECT 1 FROM job_results WHERE job_id = $1", [job.id]);
    if (seen.rowCount) {
      await client.query("COMMIT");
      return "duplicate";
    }
    const matter = await client.query<{ id: string; reference: string | null; created_at: Date }>(
      "SELECT id, reference, created_at FROM matters WHERE id = $1 FOR UPDATE",
      [job.matterId],
    );
    const row = matter.rows[0];
    if (!row) {
      await recordResult(client, job, "FAILED", null, `matter ${job.matterId} does not exist`);
      await client.query("COMMIT");
      return "matter-missing";
    }
    const reference = row.reference ?? `LH-${row.created_at.getUTCFullYear()}-${row.id.slice(0, 8).toUpperCase()}`;
    await client.query(
      `UPDATE matters SET status = CASE WHEN status = 'INTAKE' THEN 'OPEN'::"MatterStatus" ELSE status END,
              reference = COALESCE(reference, $2), updated_at = CURRENT_TIMESTAMP
        WHERE id = $1`,
      [row.id, reference],
    );
    await recordResult(client, job, "SUCCEEDED", { reference }, null);
    await client.query("COMMIT");
    return "opened";
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Records a job that could not even be decoded, under its stream entry id, so it is not retried forever. */
export async function recordUndecodable(pool: pg.Pool, entryId: string, reason: string): Promise<void> {
  await pool.query(
    `INSERT INTO job_results (id, job_id, kind, status, error) VALUES ($1, $2, 'undecodable', 'FAILED', $3)
     ON CONFLICT (job_id) DO NOTHING`,
    [randomUUID(), `entry:${entryId}`, reason],
  );
}

async function recordResult(
  client: pg.PoolClient,
  job: MatterIntakeJob,
  status: "SUCCEEDED" | "FAILED",
  result: unknown,
  error: string | null,
): Promise<void> {
  await client.query(
    `INSERT INTO job_results (id, job_id, kind, matter_id, status, result, error)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (job_id) DO NOTHING`,
    [
      randomUUID(),
      job.id,
      job.type,
      status === "SUCCEEDED" ? job.matterId : null,
      status,
      result === null ? null : JSON.stringify(result),
      error,
    ],
  );
}
