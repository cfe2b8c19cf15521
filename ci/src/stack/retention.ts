/**
 * Which release images to remove from the target after a deploy: every image of our repositories
 * whose tag is not one of the last RETAINED_RELEASES commits in the ledger (newest first) or the
 * release running now. Kept like Kamal keeps old containers: a rollback needs no rebuild.
 */
import { IMAGE_SERVICES, RETAINED_RELEASES } from "./images.ts";

/** Commits of the ledger, newest first, without repeats. */
function distinctCommits(ledgerNewestFirst: readonly string[]): string[] {
  return [...new Set(ledgerNewestFirst)];
}

/**
 * @param present image references on the target (`repository:tag`, as `docker image ls` prints them)
 * @param ledgerNewestFirst commits of `lh-ci releases list --json`, newest first
 * @param running the release running now (kept even if the ledger does not know it yet)
 */
export function imagesToPrune(
  present: readonly string[],
  ledgerNewestFirst: readonly string[],
  running: string,
  prefix: string,
  keep: number = RETAINED_RELEASES,
): string[] {
  const kept = new Set([running, ...distinctCommits(ledgerNewestFirst).slice(0, keep)]);
  const ours = new Set(IMAGE_SERVICES.map((service) => `${prefix}/${service}`));
  return present.filter((ref) => {
    const colon = ref.lastIndexOf(":");
    if (colon < 0) return false;
    const repository = ref.slice(0, colon);
    const tag = ref.slice(colon + 1);
    return ours.has(repository) && !kept.has(tag);
  });
}

/** The commits of `lh-ci releases list --json` output (a JSON array, newest first). */
export function ledgerCommits(json: string): string[] {
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed)) throw new Error("lh-ci releases list --json did not print a JSON array");
  return parsed.flatMap((entry) =>
    entry && typeof entry === "object" && typeof (entry as { commit?: unknown }).commit === "string"
      ? [(entry as { commit: string }).commit]
      : [],
  );
}
