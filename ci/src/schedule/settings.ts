import { UsageError } from "../cli/exit-codes.ts";
import { parseDuration } from "../state/duration.ts";

/** When and how the backup service works; every field comes from a variable with a default. */
export interface ScheduleSettings {
  /** Minutes after midnight UTC of the daily backup (BACKUP_SCHEDULE_TIME, default 02:30). */
  atMinuteUtc: number;
  /** Time between backups (BACKUP_SCHEDULE_INTERVAL, default 24h; seconds are allowed, for tests). */
  intervalMs: number;
  /** Time between restore tests (BACKUP_RESTORE_TEST_INTERVAL, default 7d). */
  restoreTestIntervalMs: number;
  /** Retention after each backup (BACKUP_KEEP_DAYS, default 7; BACKUP_KEEP_MIN, default 1). */
  keepDays: number;
  keepMin: number;
}

export const SCHEDULE_VARIABLES = {
  BACKUP_SCHEDULE_TIME: "02:30",
  BACKUP_SCHEDULE_INTERVAL: "24h",
  BACKUP_RESTORE_TEST_INTERVAL: "7d",
  BACKUP_KEEP_DAYS: "7",
  BACKUP_KEEP_MIN: "1",
} as const;

type ScheduleVariable = keyof typeof SCHEDULE_VARIABLES;

/** Reads the schedule from the environment; a bad value is a usage error naming the variable. */
export function scheduleSettings(env: Record<string, string | undefined>): ScheduleSettings {
  const value = (name: ScheduleVariable) => {
    const text = env[name]?.trim();
    return text ? text : SCHEDULE_VARIABLES[name];
  };
  return {
    atMinuteUtc: timeOfDay("BACKUP_SCHEDULE_TIME", value("BACKUP_SCHEDULE_TIME")),
    intervalMs: interval("BACKUP_SCHEDULE_INTERVAL", value("BACKUP_SCHEDULE_INTERVAL")),
    restoreTestIntervalMs: interval("BACKUP_RESTORE_TEST_INTERVAL", value("BACKUP_RESTORE_TEST_INTERVAL")),
    keepDays: number("BACKUP_KEEP_DAYS", value("BACKUP_KEEP_DAYS"), { whole: false, least: 0 }),
    // At least 1: with 0 (and 0 days) the prune after each backup would delete the backup just taken.
    keepMin: number("BACKUP_KEEP_MIN", value("BACKUP_KEEP_MIN"), { whole: true, least: 1 }),
  };
}

/** A year: longer intervals are a typo, and past about 270 000 years a time of them is no date at all. */
const MAX_INTERVAL_MS = 366 * 86_400_000;

function timeOfDay(name: string, text: string): number {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (!match) throw new UsageError(`${name}: must be a UTC time of day as HH:MM (e.g. 02:30)`);
  return Number(match[1]) * 60 + Number(match[2]);
}

function interval(name: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms < 1000 || ms > MAX_INTERVAL_MS) {
    throw new UsageError(`${name}: must be a duration from 1s to 366d, such as 30s, 15m, 24h or 7d`);
  }
  return ms;
}

function number(name: string, text: string, rule: { whole: boolean; least: number }): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < rule.least || (rule.whole && !Number.isInteger(value))) {
    const what = rule.whole ? "a whole number" : "a number";
    throw new UsageError(`${name}: must be ${what}, ${rule.least} or more (e.g. ${rule.whole ? 1 : 7})`);
  }
  return value;
}
