import { z } from "zod";

export const RELEASE_RESULTS = ["verified", "failed", "rolled-back"] as const;
export type ReleaseResult = (typeof RELEASE_RESULTS)[number];

const COMMIT = /^[0-9a-f]{7,40}$/i;

/** One deploy, as the ledger records it. */
export const releaseSchema = z.object({
  /** The deployed commit (also the image tag). */
  commit: z.string().regex(COMMIT, { error: "is not a commit SHA (7 to 40 hex digits)" }),
  /** service name -> image reference, e.g. api -> lawyers-hub/api:<sha>. */
  images: z.record(z.string(), z.string()),
  /** Who deployed. */
  by: z.string().min(1),
  startedAt: z.iso.datetime({ offset: true }),
  finishedAt: z.iso.datetime({ offset: true }),
  /** verified: passed lh-ci verify; failed: did not; rolled-back: failed and the previous release was restored. */
  result: z.enum(RELEASE_RESULTS),
  note: z.string().optional(),
  /** When the entry was written. */
  recordedAt: z.iso.datetime({ offset: true }),
});

export type Release = z.infer<typeof releaseSchema>;

export function isCommit(text: string): boolean {
  return COMMIT.test(text);
}
