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

/** The time in the name of the environment's newest backup in `dir` (none when the folder is missing). */
export function newestBackupTime(dir: string, envName: string): Date | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  let newest: Date | undefined;
  for (const name of names) {
    const backup = parseBackupName(name);
    if (backup?.envName !== envName) continue;
    if (!newest || backup.takenAt > newest) newest = backup.takenAt;
  }
  return newest;
}

/** At start: a backup is owed when there is none, or the newest is older than one interval. */
export function catchUpDue(newest: Date | undefined, now: Date, settings: ScheduleSettings): boolean {
  return !newest || now.getTime() - newest.getTime() >= settings.intervalMs;
}
