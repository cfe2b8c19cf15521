import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { compactTimestamp } from "../../src/backup/naming.ts";
import { DB_PASSWORD, expectNoSecret, seededDatabase } from "../backup/support.ts";
import { killOnExit } from "../support/child-cleanup.ts";
import { LH_CI_NODE_ARGS, runCli } from "../support/run-cli.ts";
import { minimalEnvironment } from "../support/run-process.ts";
import { tempDir } from "../support/temp-dir.ts";
import { recordingPushgateway, sample } from "./support.ts";

/** `lh-ci backup schedule` as the container runs it: a real process, with its output collected as it comes. */
function startService(env: Record<string, string>, args: string[] = []) {
  const child = spawn(process.execPath, [...LH_CI_NODE_ARGS, "backup", "schedule", ...args], {
    env: minimalEnvironment(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  killOnExit(child);
  const output = { stdout: "", stderr: "" };
  child.stdout?.on("data", (chunk: Buffer) => {
    output.stdout += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output.stderr += chunk.toString("utf8");
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, output, exited };
}

/** Polls an outside process's progress (not a timing assertion): fails after `timeoutMs`. */
async function waitFor(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function stopped(
  child: ChildProcess,
  exited: Promise<number | null>,
  graceMs: number,
): Promise<number | null | "hung"> {
  return Promise.race([exited, sleep(graceMs).then(() => "hung" as const)]).finally(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
}

describe("lh-ci backup schedule as a process", async () => {
  const db = await seededDatabase("lh_schedule_cli");

  it("SIGTERM during the dump: the partial file is removed, no backup appears, the lock is freed, exit 143 at once", async () => {
    const dir = tempDir("lh-schedule-term-");
    const state = tempDir("lh-schedule-term-state-");
    const bin = tempDir("lh-schedule-slow-bin-");
    const pidFile = join(bin, "pg_dump.pid");
    // pg_dump writes the whole dump, then hangs before exiting: lh-ci is mid-dump, its partial file on disk.
    writeFileSync(
      join(bin, "pg_dump"),
      `#!/bin/sh\nif [ "$1" = "--version" ]; then exec /usr/bin/env PATH="${process.env.PATH}" pg_dump "$@"; fi\n/usr/bin/env PATH="${process.env.PATH}" pg_dump "$@" || exit $?\necho $$ > "${pidFile}"\nexec sleep 120\n`,
    );
    chmodSync(join(bin, "pg_dump"), 0o755);
    afterAll(() => {
      if (existsSync(pidFile)) {
        try {
          process.kill(Number(readFileSync(pidFile, "utf8")), "SIGKILL");
        } catch {
          // already gone
        }
      }
    });
    const service = startService(
      { DATABASE_URL: db.secretUrl, LH_STATE_DIR: state, PATH: `${bin}:${process.env.PATH}`, TMPDIR: state },
      ["--dir", dir],
    );
    await waitFor("the slowed pg_dump to finish writing", () => existsSync(pidFile));
    // The partial dump and the claim on its name (taken atomically so that same-second backups differ).
    const partial = readdirSync(dir);
    expect(partial).toHaveLength(2);
    expect(partial.filter((name) => /^\.lawyers_hub_staging_\d{8}T\d{6}Z\.sql\..+\.partial$/.test(name))).toHaveLength(
      1,
    );
    expect(partial.filter((name) => /^\.lawyers_hub_staging_\d{8}T\d{6}Z\.sql\.claim$/.test(name))).toHaveLength(1);
    expect(existsSync(join(state, "backup-schedule", "deploy.lock"))).toBe(true);

    service.child.kill("SIGTERM");
    // pg_dump would hang two minutes more: exiting within ten seconds is the service not waiting for it.
    expect(await stopped(service.child, service.exited, 10_000)).toBe(143);
    expect(readdirSync(dir)).toEqual([]);
    expect(existsSync(join(state, "backup-schedule", "deploy.lock"))).toBe(false);
    const last = JSON.parse(service.output.stdout.trim().split("\n").at(-1) ?? "{}");
    expect(last).toMatchObject({
      event: "backup-schedule",
      outcome: "interrupted",
      phase: "backup",
      signal: "SIGTERM",
    });
    expectNoSecret(service.output.stdout, service.output.stderr);
  });

  it("waits for the time of day when the newest backup is recent, reports healthy, and stops at once on SIGTERM", async () => {
    const dir = tempDir("lh-schedule-idle-");
    const state = tempDir("lh-schedule-idle-state-");
    writeFileSync(join(dir, `lawyers_hub_staging_${compactTimestamp(new Date())}.sql`), "recent");
    const env = { DATABASE_URL: db.secretUrl, LH_STATE_DIR: state, TMPDIR: state, BACKUP_SCHEDULE_INTERVAL: "1h" };
    const health = () => runCli(["backup", "schedule", "--health"], { env: { TMPDIR: state } });
    expect((await health()).code).toBe(1);

    const service = startService(env, ["--dir", dir]);
    await waitFor("the service to wait for its next backup", () => service.output.stderr.includes("Next backup at"));
    expect(service.output.stderr).toMatch(
      /Backup service for staging: backups into .* at 02:30 and every 1h from it UTC/,
    );
    expect(service.output.stdout).toBe(""); // no run: no catch-up was owed
    const healthy = await health();
    expect(healthy.code).toBe(0);
    expect(healthy.stdout).toContain("backup schedule: running");

    service.child.kill("SIGTERM");
    expect(await stopped(service.child, service.exited, 10_000)).toBe(0);
    expect(service.output.stderr).toContain("SIGTERM: no backup running; the backup service stops.");
    const unhealthy = await health();
    expect(unhealthy.code).toBe(1);
    expect(unhealthy.stderr).toMatch(/error: no heartbeat at .*: the backup service is not running/);
  });

  it("--once backs up, prunes, restore-tests and pushes both metric groups; one JSON line says so, without the password", async () => {
    const gateway = await recordingPushgateway();
    const dir = tempDir("lh-schedule-once-");
    const state = tempDir("lh-schedule-once-state-");
    writeFileSync(join(dir, "lawyers_hub_staging_20200101T000000Z.sql"), "ancient");
    const result = await runCli(["backup", "schedule", "--once", "--dir", dir], {
      env: { DATABASE_URL: db.secretUrl, LH_STATE_DIR: state, PUSHGATEWAY_URL: gateway.url },
    });
    expect(result.stderr).not.toContain("error:");
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0] ?? "{}");
    expect(record).toMatchObject({
      event: "backup-schedule",
      trigger: "once",
      outcome: "ok",
      pruned: ["lawyers_hub_staging_20200101T000000Z.sql"],
      restoreTest: { outcome: "ok", tables: 4 },
      metricsPushed: true,
    });
    expect(record.file).toMatch(/lawyers_hub_staging_\d{8}T\d{6}Z\.sql$/);
    expect(record.durationMs).toBeGreaterThan(0);
    expect(readdirSync(dir).sort()).toEqual([record.file.split("/").at(-1), `${record.file.split("/").at(-1)}.json`]);
    expect(gateway.pushes.map((p) => p.url)).toEqual([
      "/metrics/job/lawyers_hub_backup/env/staging",
      "/metrics/job/lawyers_hub_backup_schedule/env/staging",
    ]);
    expect(sample(gateway.pushes[1]?.body ?? "", "lawyers_hub_backup_restore_test_success")).toBe(1);
    expect(result.stdout + result.stderr).not.toContain(DB_PASSWORD);
  });

  it("refuses a bad schedule variable before doing anything, naming it (exit 2)", async () => {
    const dir = tempDir("lh-schedule-bad-");
    const result = await runCli(["backup", "schedule", "--dir", dir], {
      env: { DATABASE_URL: db.secretUrl, LH_STATE_DIR: dir, BACKUP_SCHEDULE_TIME: "2:30am" },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("error: BACKUP_SCHEDULE_TIME: must be a UTC time of day as HH:MM (e.g. 02:30)");
    expect(readdirSync(dir)).toEqual([]);
  });

  it("refuses an interval past any date, and retention that would delete the backup just taken (exit 2, naming them)", async () => {
    const dir = tempDir("lh-schedule-bad-");
    const env = { DATABASE_URL: db.secretUrl, LH_STATE_DIR: dir };
    const huge = await runCli(["backup", "schedule", "--once", "--dir", dir], {
      env: { ...env, BACKUP_SCHEDULE_INTERVAL: "200000000d" },
    });
    expect(huge.code, huge.stderr).toBe(2);
    expect(huge.stderr).toContain("error: BACKUP_SCHEDULE_INTERVAL: must be a duration from 1s to 366d");
    expect(huge.stderr).not.toContain("Invalid time value");
    const keepNothing = await runCli(["backup", "schedule", "--once", "--dir", dir], {
      env: { ...env, BACKUP_KEEP_MIN: "0", BACKUP_KEEP_DAYS: "0" },
    });
    expect(keepNothing.code, keepNothing.stderr).toBe(2);
    expect(keepNothing.stderr).toContain("error: BACKUP_KEEP_MIN: must be a whole number, 1 or more");
    expect(readdirSync(dir)).toEqual([]);
  });
});
