import type { Release } from "./release.ts";

/**
 * A release is stable when it verified and its commit was not rolled back afterwards (the
 * pipeline records `rolled-back` for the commit it rolls away from, automatically after a failed
 * verify or on an operator's rollback).
 */
function isStable(releases: readonly Release[], index: number): boolean {
  const release = releases[index];
  if (release?.result !== "verified") return false;
  return !releases.slice(index + 1).some((later) => later.commit === release.commit && later.result === "rolled-back");
}

function lastStableIndex(releases: readonly Release[], before: number, exceptCommit?: string): number {
  for (let index = before - 1; index >= 0; index--) {
    if (isStable(releases, index) && releases[index]?.commit !== exceptCommit) return index;
  }
  return -1;
}

/** The current release: the most recent stable one. A failed deploy never becomes current. */
export function currentRelease(releases: readonly Release[]): Release | undefined {
  return releases[lastStableIndex(releases, releases.length)];
}

/**
 * The rollback's first step, "identify the previous stable commit": the last stable release
 * before the current one, of a different commit (redeploying the same commit is not a rollback).
 */
export function previousRelease(releases: readonly Release[]): Release | undefined {
  const current = lastStableIndex(releases, releases.length);
  if (current < 0) return undefined;
  return releases[lastStableIndex(releases, current, releases[current]?.commit)];
}
