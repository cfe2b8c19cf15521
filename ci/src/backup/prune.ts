import { lstatSync, readdirSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { backupNameOfSidecar, parseBackupName } from "./naming.ts";

export interface PrunePolicy {
  envName: string;
  keepDays: number;
  keepMin: number;
  now: Date;
}

export interface PrunePlan {
  /** Backups deleted (or to delete), oldest first, each followed by its sidecar when present. */
  delete: string[];
  /** Backups kept, newest first. */
  keep: string[];
}

const DAY_MS = 86_400_000;

/**
 * Decides which files of a backups folder go. Only names matching the backup pattern (and their
 * `.json` sidecars) of this environment are ever considered; age comes from the time in the name,
 * not from mtime, which copies and restores of the folder change. The newest `keepMin` backups stay
 * whatever their age; a sidecar goes with its backup, and an orphan sidecar once it is old.
 * Only regular files count: a symlink (dangling, looping, or to a real backup), a directory or a
 * FIFO named like a backup is neither followed nor deleted, and never makes the prune fail.
 */
export function planPrune(dir: string, policy: PrunePolicy): PrunePlan {
  // The entry's own type (lstat semantics): nothing is followed.
  const entries = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name);
  const backups = entries
    .map((name) => parseBackupName(name))
    .filter((backup) => backup !== undefined && backup.envName === policy.envName)
    .sort(
      (a, b) =>
        (b?.takenAt.getTime() ?? 0) - (a?.takenAt.getTime() ?? 0) ||
        (b?.sequence ?? 0) - (a?.sequence ?? 0) ||
        (a?.name ?? "").localeCompare(b?.name ?? ""),
    );
  const cutoff = policy.now.getTime() - policy.keepDays * DAY_MS;
  const isOld = (takenAt: Date) => takenAt.getTime() < cutoff;

  const keep: string[] = [];
  const doomed: string[] = [];
  backups.forEach((backup, index) => {
    if (!backup) return;
    if (index >= policy.keepMin && isOld(backup.takenAt)) doomed.push(backup.name);
    else keep.push(backup.name);
  });
  const present = new Set(entries);
  const kept = new Set(keep);
  const deletions = doomed.reverse().flatMap((name) => (present.has(`${name}.json`) ? [name, `${name}.json`] : [name]));
  const orphans = entries
    .filter((name) => {
      const owner = backupNameOfSidecar(name);
      return (
        owner &&
        owner.envName === policy.envName &&
        !present.has(owner.name) &&
        isOld(owner.takenAt) &&
        !kept.has(owner.name)
      );
    })
    .sort();
  return { delete: [...deletions, ...orphans, ...abandoned(dir, entries, policy)], keep };
}

/** A backup in progress writes its partial file all the time; one untouched this long was abandoned. */
export const ABANDONED_AFTER_MS = 3_600_000;
const IN_PROGRESS = /^\.(.+)\.(claim|[0-9a-f]{8}\.partial)$/;

/**
 * The hidden files of backups whose process was killed (SIGKILL, out of memory): a name's
 * `.claim` and its `.partial` files go together, once none of them was written for an hour.
 */
function abandoned(dir: string, entries: string[], policy: PrunePolicy): string[] {
  const byBackup = new Map<string, { files: string[]; newest: number }>();
  for (const name of entries) {
    const backup = parseBackupName(IN_PROGRESS.exec(name)?.[1] ?? "");
    if (backup?.envName !== policy.envName) continue;
    let modified: number;
    try {
      modified = lstatSync(join(dir, name)).mtimeMs;
    } catch {
      continue; // finished or discarded meanwhile
    }
    const group = byBackup.get(backup.name) ?? { files: [], newest: 0 };
    group.files.push(name);
    group.newest = Math.max(group.newest, modified);
    byBackup.set(backup.name, group);
  }
  return [...byBackup.values()]
    .filter((group) => policy.now.getTime() - group.newest > ABANDONED_AFTER_MS)
    .flatMap((group) => group.files.sort());
}

/** Deletes the planned files; returns the names deleted. */
export function applyPrune(dir: string, plan: PrunePlan, onDelete?: (name: string) => void): string[] {
  const deleted: string[] = [];
  for (const name of plan.delete) {
    try {
      unlinkSync(join(dir, name));
    } catch (error) {
      // An abandoned claim or partial another prune removed first.
      if ((error as NodeJS.ErrnoException).code === "ENOENT" && name.startsWith(".")) continue;
      throw error;
    }
    deleted.push(name);
    onDelete?.(name);
  }
  return deleted;
}
