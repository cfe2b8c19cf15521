import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/cli/exit-codes.ts";
import { scheduleMetricsText } from "../../src/schedule/metrics.ts";
import { scheduleSettings } from "../../src/schedule/settings.ts";
import {
  backupTimes,
  catchUpDue,
  futureBackupsWarning,
  newestBackupTime,
  slotAtOrAfter,
} from "../../src/schedule/slots.ts";
import { tempDir } from "../support/temp-dir.ts";

const at = (iso: string) => new Date(iso);
const DAILY = scheduleSettings({});

describe("schedule settings", () => {
  it("default to 02:30 UTC daily, a weekly restore test, 7 days kept and at least one", () => {
    expect(DAILY).toEqual({
      atMinuteUtc: 150,
      intervalMs: 86_400_000,
      restoreTestIntervalMs: 7 * 86_400_000,
      keepDays: 7,
      keepMin: 1,
    });
  });

  it("read every variable, down to an interval of seconds for tests", () => {
    expect(
      scheduleSettings({
        BACKUP_SCHEDULE_TIME: "23:05",
        BACKUP_SCHEDULE_INTERVAL: "5s",
        BACKUP_RESTORE_TEST_INTERVAL: "12h",
        BACKUP_KEEP_DAYS: "0.5",
        BACKUP_KEEP_MIN: "3",
      }),
    ).toEqual({
      atMinuteUtc: 23 * 60 + 5,
      intervalMs: 5000,
      restoreTestIntervalMs: 43_200_000,
      keepDays: 0.5,
      keepMin: 3,
    });
  });

  it.each([
    ["BACKUP_SCHEDULE_TIME", "2:30", /BACKUP_SCHEDULE_TIME: must be a UTC time of day as HH:MM/],
    ["BACKUP_SCHEDULE_TIME", "24:00", /BACKUP_SCHEDULE_TIME: must be/],
    ["BACKUP_SCHEDULE_INTERVAL", "daily", /BACKUP_SCHEDULE_INTERVAL: must be a duration from 1s to 366d/],
    ["BACKUP_SCHEDULE_INTERVAL", "500ms", /BACKUP_SCHEDULE_INTERVAL: must be a duration from 1s to 366d/],
    ["BACKUP_SCHEDULE_INTERVAL", "200000000d", /BACKUP_SCHEDULE_INTERVAL: must be a duration from 1s to 366d/],
    ["BACKUP_RESTORE_TEST_INTERVAL", "-1d", /BACKUP_RESTORE_TEST_INTERVAL: must be a duration/],
    ["BACKUP_RESTORE_TEST_INTERVAL", "367d", /BACKUP_RESTORE_TEST_INTERVAL: must be a duration from 1s to 366d/],
    ["BACKUP_KEEP_DAYS", "a week", /BACKUP_KEEP_DAYS: must be a number, 0 or more/],
    ["BACKUP_KEEP_MIN", "1.5", /BACKUP_KEEP_MIN: must be a whole number, 1 or more/],
    ["BACKUP_KEEP_MIN", "0", /BACKUP_KEEP_MIN: must be a whole number, 1 or more/],
  ])("refuse %s=%s, naming the variable", (name, value, message) => {
    expect(() => scheduleSettings({ [name]: value })).toThrow(UsageError);
    expect(() => scheduleSettings({ [name]: value })).toThrow(message);
  });
});

describe("schedule times (UTC, no daylight saving)", () => {
  it("are today's time when it is still to come, tomorrow's once it has passed, across midnight", () => {
    expect(slotAtOrAfter(at("2026-11-30T01:00:00Z"), DAILY)).toEqual(at("2026-11-30T02:30:00Z"));
    expect(slotAtOrAfter(at("2026-11-30T02:30:00Z"), DAILY)).toEqual(at("2026-11-30T02:30:00Z"));
    expect(slotAtOrAfter(at("2026-11-30T02:30:00.001Z"), DAILY)).toEqual(at("2026-12-01T02:30:00Z"));
    expect(slotAtOrAfter(at("2026-12-31T23:59:59Z"), DAILY)).toEqual(at("2027-01-01T02:30:00Z"));
    // The night European clocks go back: UTC does not, the backup stays at 02:30 UTC.
    expect(slotAtOrAfter(at("2026-10-25T00:59:00Z"), DAILY)).toEqual(at("2026-10-25T02:30:00Z"));
  });

  it("put a time just before midnight on the right day", () => {
    const late = scheduleSettings({ BACKUP_SCHEDULE_TIME: "23:55" });
    expect(slotAtOrAfter(at("2026-11-30T23:56:00Z"), late)).toEqual(at("2026-12-01T23:55:00Z"));
    expect(slotAtOrAfter(at("2026-12-01T00:10:00Z"), late)).toEqual(at("2026-12-01T23:55:00Z"));
  });

  it("with a shorter interval, step from the time of day, also before it and over midnight", () => {
    const sixHours = scheduleSettings({ BACKUP_SCHEDULE_INTERVAL: "6h" });
    expect(slotAtOrAfter(at("2026-11-30T00:10:00Z"), sixHours)).toEqual(at("2026-11-30T02:30:00Z"));
    expect(slotAtOrAfter(at("2026-11-30T14:30:00Z"), sixHours)).toEqual(at("2026-11-30T14:30:00Z"));
    expect(slotAtOrAfter(at("2026-11-30T21:00:00Z"), sixHours)).toEqual(at("2026-12-01T02:30:00Z"));
    const seconds = scheduleSettings({ BACKUP_SCHEDULE_INTERVAL: "5s" });
    expect(slotAtOrAfter(at("2026-11-30T10:00:01.500Z"), seconds)).toEqual(at("2026-11-30T10:00:05Z"));
  });
});

describe("catch-up at start", () => {
  it("is owed without any backup, or when the newest is older than one interval", () => {
    const now = at("2026-11-30T10:00:00Z");
    expect(catchUpDue(undefined, now, DAILY)).toBe(true);
    expect(catchUpDue(at("2026-11-29T09:59:59Z"), now, DAILY)).toBe(true);
    expect(catchUpDue(at("2026-11-29T10:00:01Z"), now, DAILY)).toBe(false);
  });

  it("judges the newest backup by the time in its name, of this environment only", () => {
    const dir = tempDir("lh-schedule-units-");
    const now = at("2026-11-30T10:00:00Z");
    expect(newestBackupTime(join(dir, "missing"), "staging", now)).toBeUndefined();
    for (const name of [
      "lawyers_hub_staging_20261128T023000Z.sql",
      "lawyers_hub_staging_20261129T023000Z.sql.gz",
      "lawyers_hub_production_20261130T023000Z.sql",
      "lawyers_hub_staging_20261130T023000Z.sql.partial",
      ".lawyers_hub_staging_20261130T050000Z.sql.abcd.partial",
    ]) {
      writeFileSync(join(dir, name), "");
    }
    expect(newestBackupTime(dir, "staging", now)).toEqual(at("2026-11-29T02:30:00Z"));
  });

  it("leaves out, and names, a backup dated after now (a clock step back, or a hand-made name)", () => {
    const dir = tempDir("lh-schedule-units-");
    for (const name of ["lawyers_hub_staging_20261129T023000Z.sql", "lawyers_hub_staging_20991231T000000Z.sql"]) {
      writeFileSync(join(dir, name), "");
    }
    const times = backupTimes(dir, "staging", at("2026-11-30T10:00:00Z"));
    expect(times).toEqual({
      newest: at("2026-11-29T02:30:00Z"),
      future: ["lawyers_hub_staging_20991231T000000Z.sql"],
    });
    expect(futureBackupsWarning(times.future)).toMatch(
      /^ignoring 1 backup\(s\) dated after now \(lawyers_hub_staging_20991231T000000Z.sql\)/,
    );
  });
});

describe("schedule metrics", () => {
  it("carry the failures counter, the last duration and the restore test, in Prometheus text format", () => {
    const text = scheduleMetricsText(
      {
        failures: 2,
        lastBackup: { file: "f", finishedAt: "2026-11-30T02:30:05Z", durationSeconds: 4.25, sizeBytes: 10 },
        restoreTest: {
          lastAttemptAt: "2026-11-30T02:31:00Z",
          ok: false,
          file: "f",
          lastSuccessAt: "2026-11-23T02:31:00Z",
          error: "x",
        },
      },
      7 * 86_400_000,
    );
    expect(text).toContain("# TYPE lawyers_hub_backup_failures_total counter\nlawyers_hub_backup_failures_total 2\n");
    expect(text).toContain("lawyers_hub_backup_last_duration_seconds 4.25\n");
    expect(text).toContain("lawyers_hub_backup_restore_test_interval_seconds 604800\n");
    expect(text).toContain("lawyers_hub_backup_restore_test_success 0\n");
    expect(text).toContain(
      `lawyers_hub_backup_restore_test_last_success_timestamp_seconds ${Date.parse("2026-11-23T02:31:00Z") / 1000}\n`,
    );
  });

  it("leave out what never happened rather than report a zero time", () => {
    const text = scheduleMetricsText({ failures: 0 }, 86_400_000);
    expect(text).toContain("lawyers_hub_backup_failures_total 0\n");
    expect(text).not.toContain("last_duration");
    expect(text).not.toContain("restore_test_success");
    expect(text).not.toContain("restore_test_last_success");
  });
});
