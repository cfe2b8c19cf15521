import { readdirSync } from "node:fs";
import { parseBackupName } from "../backup/naming.ts";
import type { ScheduleSettings } from "./settings.ts";

const DAY_MS = 86_400_000;

/**
 * The first backup time at or after `at`. Backup times are the configured time of day (UTC, no
 * daylight saving) plus whole intervals, anchored on `at`'s UTC day: a 24h interval gives one
 * backup a day at that time, a shorter one several (aligned on it), across midnight alike.
 */
export function slotAtOrAfter(at: Date, settings: ScheduleSettings): Date {
  const midnight = Math.floor(at.getTime() / DAY_MS) * DAY_MS;
  const anchor = midnight + settings.atMinuteUtc * 60_000;
  const steps = Math.ceil((at.getTime() - anchor) / settings.intervalMs);
  return new Date(anchor + steps * settings.intervalMs);
}

export interface BackupTimes {
  /** The time in the name of the environment's newest backup taken by `now` (none when there is none). */
  newest?: Date;
  /** Backups whose names say they were taken after `now`: a clock that stepped back, or a hand-made name. */
  future: string[];
}

/**
 * The environment's backups in `dir` by the time in their names. One dated after `now` cannot
 * have been taken yet: counting it would skip every run until that date, so it is left out (and
 * named, for a warning) and the schedule goes on backing up.
 */
export function backupTimes(dir: string, envName: string, now: Date): BackupTimes {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { future: [] };
    throw error;
  }
  const times: BackupTimes = { future: [] };
  for (const name of names.sort()) {
    const backup = parseBackupName(name);
    if (backup?.envName !== envName) continue;
    if (backup.takenAt > now) times.future.push(name);
    else if (!times.newest || backup.takenAt > times.newest) times.newest = backup.takenAt;
  }
  return times;
}

export function newestBackupTime(dir: string, envName: string, now: Date): Date | undefined {
  return backupTimes(dir, envName, now).newest;
}

/** The warning for backups dated after now, or undefined when there is none. */
export function futureBackupsWarning(future: readonly string[]): string | undefined {
  if (future.length === 0) return undefined;
  return `ignoring ${future.length} backup(s) dated after now (${future.join(", ")}): a clock that stepped back or a hand-made name; the schedule backs up as if they were not there (move them away once checked)`;
}

/** At start: a backup is owed when there is none, or the newest is older than one interval. */
export function catchUpDue(newest: Date | undefined, now: Date, settings: ScheduleSettings): boolean {
  return !newest || now.getTime() - newest.getTime() >= settings.intervalMs;
}
