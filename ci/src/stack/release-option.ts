/** The release options of deploy and the stack commands: what names an image tag safely. */
import { UsageError } from "../cli/exit-codes.ts";
import { parseDuration } from "../state/duration.ts";

/** A Docker tag: what a commit SHA or a release name must be to name images. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export function releaseOption(value: unknown, option = "--release"): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new UsageError(`${option}: required; pass the commit SHA the images are tagged with`);
  }
  const release = value.trim();
  if (!TAG.test(release)) {
    throw new UsageError(`${option}: "${release}" cannot be an image tag (letters, digits, _ . -; at most 128)`);
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
