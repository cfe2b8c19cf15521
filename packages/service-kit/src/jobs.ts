import { z } from "zod";

/**
 * The contract between the api (producer) and the worker (consumer): jobs travel on a Redis
 * stream, one JSON document in the field `job` of each entry.
 */

export const DEFAULT_JOBS_STREAM = "lawyers-hub:jobs";
export const DEFAULT_JOBS_GROUP = "lawyers-hub-worker";
export const JOB_FIELD = "job";

export const matterIntakeJob = z.object({
  /** Unique per job: the worker records each id once, however often it is delivered. */
  id: z.uuid(),
  type: z.literal("matter.intake"),
  matterId: z.uuid(),
  enqueuedAt: z.iso.datetime(),
});

export type MatterIntakeJob = z.infer<typeof matterIntakeJob>;

export function encodeJob(job: MatterIntakeJob): string {
  return JSON.stringify(job);
}

/** Decodes a stream entry's fields ([name, value, name, value...]); throws with what is wrong. */
export function decodeJob(fields: string[]): MatterIntakeJob {
  const index = fields.indexOf(JOB_FIELD);
  const raw = index >= 0 && index % 2 === 0 ? fields[index + 1] : undefined;
  if (raw === undefined) throw new Error(`entry has no "${JOB_FIELD}" field`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`"${JOB_FIELD}" field is not JSON`);
  }
  const result = matterIntakeJob.safeParse(parsed);
  if (!result.success) {
    throw new Error(
      `not a known job: ${result.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`).join("; ")}`,
    );
  }
  return result.data;
}
