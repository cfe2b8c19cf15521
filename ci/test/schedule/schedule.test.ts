import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pgTarget } from "../../src/backup/connection.ts";
import { DeployLock } from "../../src/lock/deploy-lock.ts";
import { type JobContext, type RunRecord, runBackupJob } from "../../src/schedule/run-job.ts";
import { runSchedule } from "../../src/schedule/schedule-loop.ts";
import { readScheduleState } from "../../src/schedule/schedule-state.ts";
import { scheduleSettings } from "../../src/schedule/settings.ts";
import { seededDatabase } from "../backup/support.ts";
import { adminQuery, createTestDatabase, databaseUrl, withClient } from "../support/database.ts";
import { tempDir } from "../support/temp-dir.ts";
import { FakeClock, recordingPushgateway, sample } from "./support.ts";

const backupsIn = (dir: string) =>
  readdirSync(dir)
    .filter((name) => name.startsWith("lawyers_hub_"))
    .sort();

function jobContext(url: string, clock: FakeClock, env: Record<string, string> = {}, pushgatewayUrl?: string) {
  const lines: string[] = [];
  const context: JobContext = {
    target: pgTarget(url),
    envName: "staging",
    dir: tempDir("lh-schedule-backups-"),
    stateDir: tempDir("lh-schedule-state-"),
    settings: scheduleSettings(env),
    pushgatewayUrl,
    clock,
    log: { info: (line) => lines.push(line), warn: (line) => lines.push(`warning: ${line}`) },
  };
  return { context, lines };
}

async function schedule(context: JobContext, maxRuns: number): Promise<(RunRecord & { nextAt: string })[]> {
  const records: (RunRecord & { nextAt: string })[] = [];
  await runSchedule({ context, signal: new AbortController().signal, maxRuns, onRecord: (r) => records.push(r) });
  return records;
}

describe("the backup schedule against the real PostgreSQL, on a fake clock", async () => {
  const db = await seededDatabase("lh_schedule");

  it("catches up at start, then backs up at 02:30 UTC across midnight, prunes after each backup and pushes its metrics", async () => {
    const gateway = await recordingPushgateway();
    const clock = new FakeClock("2026-11-29T23:00:00Z");
    const { context } = jobContext(
      db.secretUrl,
      clock,
      { BACKUP_RESTORE_TEST_INTERVAL: "26h", BACKUP_KEEP_DAYS: "7", BACKUP_KEEP_MIN: "1" },
      gateway.url,
    );
    // Ten days old (goes at the first prune), a day old (stays), and a file that is not a backup (never touched).
    for (const name of ["lawyers_hub_staging_20261119T023000Z.sql", "lawyers_hub_staging_20261128T230000Z.sql"]) {
      writeFileSync(join(context.dir, name), "old");
      writeFileSync(join(context.dir, `${name}.json`), "{}");
    }
    writeFileSync(join(context.dir, "notes.txt"), "keep me");

    const records = await schedule(context, 3);

    expect(records.map((r) => [r.trigger, r.outcome, r.slot, r.nextAt])).toEqual([
      ["catch-up", "ok", "2026-11-29T23:00:00.000Z", "2026-11-30T02:30:00.000Z"],
      ["schedule", "ok", "2026-11-30T02:30:00.000Z", "2026-12-01T02:30:00.000Z"],
      ["schedule", "ok", "2026-12-01T02:30:00.000Z", "2026-12-02T02:30:00.000Z"],
    ]);
    expect(records.map((r) => r.file?.split("/").at(-1))).toEqual([
      "lawyers_hub_staging_20261129T230000Z.sql",
      "lawyers_hub_staging_20261130T023000Z.sql",
      "lawyers_hub_staging_20261201T023000Z.sql",
    ]);
    // Prune runs after each backup: the ten-day-old one at once, the day-old one once it is 7 days old (never here).
    expect(records[0]?.pruned).toEqual([
      "lawyers_hub_staging_20261119T023000Z.sql",
      "lawyers_hub_staging_20261119T023000Z.sql.json",
    ]);
    expect(records[1]?.pruned).toEqual([]);
    expect(backupsIn(context.dir)).toEqual([
      "lawyers_hub_staging_20261128T230000Z.sql",
      "lawyers_hub_staging_20261128T230000Z.sql.json",
      "lawyers_hub_staging_20261129T230000Z.sql",
      "lawyers_hub_staging_20261129T230000Z.sql.json",
      "lawyers_hub_staging_20261130T023000Z.sql",
      "lawyers_hub_staging_20261130T023000Z.sql.json",
      "lawyers_hub_staging_20261201T023000Z.sql",
      "lawyers_hub_staging_20261201T023000Z.sql.json",
    ]);
    expect(readFileSync(join(context.dir, "notes.txt"), "utf8")).toBe("keep me");
    // The restore test: at the first run, not 3.5 hours later, again 27.5 hours later.
    expect(records.map((r) => r.restoreTest?.outcome)).toEqual(["ok", undefined, "ok"]);
    expect(records[0]?.restoreTest?.tables).toBe(4);
    expect(clock.waits).toEqual(["2026-11-30T02:30:00.000Z", "2026-12-01T02:30:00.000Z"]);

    // Per run: the backup's own group (last success, size), then the schedule's group.
    expect(gateway.pushes.map((p) => `${p.method} ${p.url}`)).toEqual(
      Array(3)
        .fill([
          "PUT /metrics/job/lawyers_hub_backup/env/staging",
          "PUT /metrics/job/lawyers_hub_backup_schedule/env/staging",
        ])
        .flat(),
    );
    const backupPush = gateway.pushes[4]?.body ?? "";
    expect(sample(backupPush, "lawyers_hub_backup_size_bytes")).toBe(records[2]?.sizeBytes);
    expect(sample(backupPush, "lawyers_hub_backup_last_success_timestamp_seconds")).toBeGreaterThan(0);
    const schedulePush = gateway.pushes[5]?.body ?? "";
    expect(sample(schedulePush, "lawyers_hub_backup_failures_total")).toBe(0);
    expect(sample(schedulePush, "lawyers_hub_backup_last_duration_seconds")).toBeGreaterThan(0);
    expect(sample(schedulePush, "lawyers_hub_backup_restore_test_success")).toBe(1);
    expect(sample(schedulePush, "lawyers_hub_backup_restore_test_last_success_timestamp_seconds")).toBe(
      Date.parse("2026-12-01T02:30:00Z") / 1000,
    );
    expect(sample(schedulePush, "lawyers_hub_backup_restore_test_interval_seconds")).toBe(26 * 3600);
    expect(records.every((r) => r.metricsPushed === true)).toBe(true);
    // The lock is free again, the state remembers the restore test.
    expect(existsSync(join(context.stateDir, "backup-schedule", "deploy.lock"))).toBe(false);
    expect(readScheduleState(context.stateDir).restoreTest).toMatchObject({
      ok: true,
      lastSuccessAt: "2026-12-01T02:30:00.000Z",
    });
  });

  it("does not catch up when the newest backup is younger than the interval: it waits for the time of day", async () => {
    const clock = new FakeClock("2026-11-30T10:00:00Z");
    const { context } = jobContext(db.secretUrl, clock);
    writeFileSync(join(context.dir, "lawyers_hub_staging_20261130T023000Z.sql"), "recent");
    const records = await schedule(context, 1);
    expect(records.map((r) => [r.trigger, r.outcome, r.slot])).toEqual([
      ["schedule", "ok", "2026-12-01T02:30:00.000Z"],
    ]);
    expect(clock.waits).toEqual(["2026-12-01T02:30:00.000Z"]);
  });

  it("an interval of seconds steps from the time of day, and a run never repeats a time already backed up", async () => {
    const clock = new FakeClock("2026-11-30T23:59:52Z");
    const { context } = jobContext(db.secretUrl, clock, {
      BACKUP_SCHEDULE_TIME: "00:00",
      BACKUP_SCHEDULE_INTERVAL: "5s",
      BACKUP_RESTORE_TEST_INTERVAL: "7d",
    });
    const records = await schedule(context, 3);
    expect(records.map((r) => [r.trigger, r.slot, r.file?.split("_").at(-1)])).toEqual([
      ["catch-up", "2026-11-30T23:59:52.000Z", "20261130T235952Z.sql"],
      ["schedule", "2026-11-30T23:59:55.000Z", "20261130T235955Z.sql"],
      ["schedule", "2026-12-01T00:00:00.000Z", "20261201T000000Z.sql"],
    ]);
  });

  it("two schedulers at the same time take one backup: the second waits for the lock, then finds it taken", async () => {
    const clock = new FakeClock("2026-11-30T02:30:00Z");
    const { context } = jobContext(db.secretUrl, clock);
    const slot = clock.now();
    const records = await Promise.all([
      runBackupJob(context, "schedule", slot),
      runBackupJob({ ...context }, "schedule", slot),
    ]);
    expect(records.map((r) => r.outcome).sort()).toEqual(["ok", "skipped"]);
    expect(records.find((r) => r.outcome === "skipped")?.reason).toMatch(
      /another scheduler is running \(backup-schedule@|a backup of this time already exists/,
    );
    expect(backupsIn(context.dir)).toEqual([
      "lawyers_hub_staging_20261130T023000Z.sql",
      "lawyers_hub_staging_20261130T023000Z.sql.json",
    ]);
  });

  it("a lock left by this container's previous life is taken over; another host's live lock is respected", async () => {
    const clock = new FakeClock("2026-11-30T02:30:00Z");
    const { context } = jobContext(db.secretUrl, clock);
    const lock = new DeployLock(join(context.stateDir, "backup-schedule"));
    const acquire = (owner: string) => lock.acquire({ owner, ttlMs: 3_600_000, now: clock.now() });
    await acquire(`backup-schedule@other-host:1:0a1b2c3d`);
    const blocked = await runBackupJob(context, "schedule", clock.now());
    expect(blocked.outcome).toBe("skipped");
    expect(blocked.reason).toMatch(/another scheduler is running \(backup-schedule@other-host:1:0a1b2c3d since /);
    expect(backupsIn(context.dir)).toEqual([]);

    await lock.release("", true);
    await acquire(`backup-schedule@${hostname()}:${process.pid}:0a1b2c3d`);
    const reclaimed = await runBackupJob(context, "schedule", clock.now());
    expect(reclaimed.outcome).toBe("ok");
    expect(lock.inspect()).toEqual({ state: "free" });
  });

  it("a lock left by a dead process of this host is taken over at once, not after its 6 hours", async () => {
    const clock = new FakeClock("2026-11-30T02:30:00Z");
    const { context, lines } = jobContext(db.secretUrl, clock);
    const lock = new DeployLock(join(context.stateDir, "backup-schedule"));
    const dead = spawnSync("true").pid ?? 0;
    const owner = `backup-schedule@${hostname()}:${dead}:0a1b2c3d`;
    await lock.acquire({ owner, ttlMs: 6 * 3_600_000, now: clock.now() });
    // As the killed process wrote it: this host, its pid.
    const path = join(context.stateDir, "backup-schedule", "deploy.lock");
    writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, "utf8")), pid: dead }));
    const record = await runBackupJob(context, "schedule", clock.now());
    expect(record.outcome, record.reason).toBe("ok");
    expect(lines).toContain(`Taking over the schedule's lock of ${owner}: that process is gone.`);
    expect(lock.inspect()).toEqual({ state: "free" });

    // A live process of this host (the test runner itself) keeps its lock.
    await lock.acquire({
      owner: `backup-schedule@${hostname()}:${process.ppid}:0a1b2c3d`,
      ttlMs: 3_600_000,
      now: clock.now(),
    });
    writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, "utf8")), pid: process.ppid }));
    const blocked = await runBackupJob(context, "schedule", clock.now());
    expect(blocked.outcome).toBe("skipped");
    expect(blocked.reason).toMatch(/another scheduler is running/);
  });

  it("a backup dated in the future (a clock step, a touched name) does not make the runs skip", async () => {
    const clock = new FakeClock("2026-11-30T03:00:00Z");
    const { context, lines } = jobContext(db.secretUrl, clock);
    writeFileSync(join(context.dir, "lawyers_hub_staging_20991231T000000Z.sql"), "");
    const records = await schedule(context, 2);
    expect(records.map((r) => [r.trigger, r.outcome])).toEqual([
      ["catch-up", "ok"],
      ["schedule", "ok"],
    ]);
    expect(backupsIn(context.dir).filter((name) => name.endsWith(".sql"))).toEqual([
      "lawyers_hub_staging_20261130T030000Z.sql",
      "lawyers_hub_staging_20261201T023000Z.sql",
      "lawyers_hub_staging_20991231T000000Z.sql",
    ]);
    expect(lines).toContain(
      "warning: ignoring 1 backup(s) dated after now (lawyers_hub_staging_20991231T000000Z.sql): a clock that stepped back or a hand-made name; the schedule backs up as if they were not there (move them away once checked)",
    );
  });

  it("a backup that does not restore fails its restore test: recorded, pushed as 0, the scratch database dropped", async () => {
    // A CHECK that looks into another table: pg_dump loads aa_items before zz_allowed, so the
    // restore breaks the constraint. The dump is fine; only restoring it proves it is not.
    const broken = await createTestDatabase("lh_schedule_unrestorable");
    await withClient(broken.url, (client) =>
      client.query(`
        CREATE TABLE zz_allowed (code text PRIMARY KEY);
        CREATE FUNCTION is_allowed(text) RETURNS boolean LANGUAGE sql STABLE
          AS 'SELECT EXISTS (SELECT 1 FROM public.zz_allowed WHERE code = $1)';
        CREATE TABLE aa_items (id int PRIMARY KEY, code text CHECK (public.is_allowed(code)));
        INSERT INTO zz_allowed VALUES ('a');
        INSERT INTO aa_items VALUES (1, 'a');`),
    );
    const gateway = await recordingPushgateway();
    const clock = new FakeClock("2026-11-30T02:30:00Z");
    const { context } = jobContext(broken.url, clock, {}, gateway.url);
    const [record] = await schedule(context, 1);
    expect(record?.outcome).toBe("ok"); // the backup itself is whole
    expect(record?.restoreTest?.outcome).toBe("failed");
    expect(record?.restoreTest?.error).toMatch(
      /the test restore into lh_restore_test_\w+ failed: .*this backup does not restore/,
    );
    const scratch = /lh_restore_test_\w+/.exec(record?.restoreTest?.error ?? "")?.[0];
    const left = await adminQuery("SELECT 1 FROM pg_database WHERE datname = $1", [scratch]);
    expect(left.rowCount).toBe(0);
    expect(readScheduleState(context.stateDir).restoreTest).toMatchObject({ ok: false });
    const pushed = gateway.pushes.at(-1)?.body ?? "";
    expect(sample(pushed, "lawyers_hub_backup_restore_test_success")).toBe(0);
    expect(sample(pushed, "lawyers_hub_backup_restore_test_last_success_timestamp_seconds")).toBeUndefined();
    expect(sample(pushed, "lawyers_hub_backup_failures_total")).toBe(0);
  });

  it("a failed backup is counted, pushed and logged; the schedule goes on", async () => {
    const gateway = await recordingPushgateway();
    const clock = new FakeClock("2026-11-30T02:30:00Z");
    const missing = databaseUrl("lh_schedule_no_such_database");
    const { context } = jobContext(missing, clock, {}, gateway.url);
    const records = await schedule(context, 2);
    expect(records.map((r) => [r.trigger, r.outcome])).toEqual([
      ["catch-up", "failed"],
      ["schedule", "failed"],
    ]);
    expect(records[0]?.error).toMatch(/cannot connect to the database .*No backup was written/);
    expect(readdirSync(context.dir)).toEqual([]);
    expect(readScheduleState(context.stateDir).failures).toBe(2);
    // No backup group push (nothing succeeded); the schedule group carries the counter.
    expect(gateway.pushes.map((p) => p.url)).toEqual([
      "/metrics/job/lawyers_hub_backup_schedule/env/staging",
      "/metrics/job/lawyers_hub_backup_schedule/env/staging",
    ]);
    expect(sample(gateway.pushes[1]?.body ?? "", "lawyers_hub_backup_failures_total")).toBe(2);
  });
});
