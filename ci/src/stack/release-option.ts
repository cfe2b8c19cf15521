/** The release options of deploy and the stack commands: what names an image tag safely. */
import { UsageError } from "../cli/exit-codes.ts";
import { parseDuration } from "../state/duration.ts";

/** A commit SHA: what the ledger records (ci/src/releases/release.ts) and images are tagged with. */
const COMMIT = /^[0-9a-f]{7,40}$/i;

export function releaseOption(value: unknown, option = "--release"): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new UsageError(`${option}: required; pass the commit SHA the images are tagged with`);
  }
  const release = value.trim();
  // Checked before anything runs: the ledger refuses anything else, and only after the deploy.
  if (!COMMIT.test(release)) {
    throw new UsageError(`${option}: "${release}" is not a commit SHA (7 to 40 hex digits), which the ledger records`);
  }
  return release;
}

/** A duration handed on to lh-ci verify in the stack (checked here so a typo fails before the lock). */
export function durationOption(value: unknown, option: string): string {
  const text = String(value);
  if (parseDuration(text) === undefined) {
    throw new UsageError(`${option}: "${text}" is not a duration; write e.g. 120s, 2m or 500ms`);
  }
  return text;
}
