import { closeSync, lstatSync, mkdirSync, openSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { OperationError } from "../cli/exit-codes.ts";
import { backupFileName, MAX_SEQUENCE, sidecarPathOf } from "./naming.ts";

export interface ClaimedName {
  /** The time in the name: when the backup started. */
  startedAt: Date;
  name: string;
  /** Gives the claim back; call once the backup is published or discarded. */
  release(): void;
}

/**
 * The next free backup name of this second, taken atomically: each candidate is claimed by
 * creating the hidden file `.<name>.claim` exclusively, so of several backups started in the same
 * second each gets its own name (`...Z.sql`, `...Z-2.sql`, ...) and none fails. Without a
 * directory (`--stdout`) nothing can collide and nothing is claimed.
 */
export function claimBackupName(envName: string, gzip: boolean, dir: string | undefined, now: Date): ClaimedName {
  if (dir === undefined) return { startedAt: now, name: backupFileName(envName, now, gzip), release: () => {} };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const taken = (path: string) => occupied(path) || occupied(sidecarPathOf(path));
  for (let sequence = 1; sequence <= MAX_SEQUENCE; sequence++) {
    const name = backupFileName(envName, now, gzip, sequence);
    const path = join(dir, name);
    if (taken(path)) continue;
    const claim = join(dir, `.${name}.claim`);
    if (!createEmptyExclusive(claim)) continue;
    // A backup may have been published (and its claim given back) between the check and the claim.
    if (taken(path)) {
      removeQuietly(claim);
      continue;
    }
    return { startedAt: now, name, release: () => removeQuietly(claim) };
  }
  throw new OperationError(
    `more than ${MAX_SEQUENCE} backups of ${envName} started in the same second in ${dir}; something is starting backups in a loop`,
  );
}

/**
 * Creates an empty file only if none exists (O_EXCL): a claim is a lock between running backups,
 * not a record, so it is not flushed to disk (two fsyncs before pg_dump could start).
 */
function createEmptyExclusive(path: string): boolean {
  try {
    closeSync(openSync(path, "wx", 0o600));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

/** Whether anything, even a dangling symlink, holds the name (publishing would fail on it). */
function occupied(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
