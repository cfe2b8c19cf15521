/**
 * lh-ci killed outright (SIGKILL, the kernel's out-of-memory killer) in the middle of a backup:
 * pg_dump, which writes the backup file itself, must not go on writing a full-size hidden file
 * for nobody, and prune must clear what the killed run left (its `.partial` and `.claim`).
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { killOnExit } from "../support/child-cleanup.ts";
import { withClient } from "../support/database.ts";
import { LH_CI_NODE_ARGS, runCli } from "../support/run-cli.ts";
import { minimalEnvironment } from "../support/run-process.ts";
import { tempDir } from "../support/temp-dir.ts";
import { seededDatabase } from "./support.ts";

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function untilAsync<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The pid of a process whose parent is `parent` and whose program is `name` (from /proc). */
function childNamed(parent: number, name: string): number | undefined {
  for (const entry of readdirSync("/proc").filter((item) => /^\d+$/.test(item))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const [, comm = "", rest = ""] = /^\d+ \((.*)\) (.*)$/s.exec(stat) ?? [];
      if (comm === name && Number(rest.split(" ")[1]) === parent) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** Running: present in /proc and not a zombie. */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /s.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

describe("a backup whose lh-ci is killed", async () => {
  const db = await seededDatabase("lh_backup_killed");
  const dir = tempDir("lh-backup-killed-");

  it("takes pg_dump with it, and prune removes the abandoned partial file and claim", async () => {
    // pg_dump waits for this lock, so it is surely running when lh-ci is killed.
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    await holder.query("BEGIN; LOCK TABLE matters IN ACCESS EXCLUSIVE MODE");
    const lhCi = spawn(process.execPath, [...LH_CI_NODE_ARGS, "backup", "--out", dir, "--lock-timeout", "120"], {
      env: minimalEnvironment({ DATABASE_URL: db.secretUrl }),
      stdio: "ignore",
    });
    killOnExit(lhCi);
    try {
      const dump = await until("pg_dump", () => childNamed(lhCi.pid ?? 0, "pg_dump"));
      await until("the partial file", () => readdirSync(dir).find((name) => name.endsWith(".partial")));
      // Past the snapshot import, blocked on the lock: from here on only a signal ends it.
      // Asked on a connection of its own: a transaction sees pg_stat_activity as it first read it.
      await untilAsync("pg_dump to wait for the lock", () =>
        withClient(db.url, async (client) => {
          const waiting = await client.query(
            "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
          );
          return waiting.rowCount ? true : undefined;
        }),
      );
      lhCi.kill("SIGKILL");
      await until("pg_dump to end with lh-ci", () => (running(dump) ? undefined : true), 5000);
    } finally {
      await holder.query("ROLLBACK");
      await holder.end();
    }

    const left = readdirSync(dir).sort();
    expect(left.filter((name) => /^lawyers_hub_/.test(name))).toEqual([]);
    // Sorted after the random part is masked: sorted before, its first hex digit decided the order.
    const shapes = left.map((name) => name.replace(/\d{8}T\d{6}Z/, "T").replace(/\.[0-9a-f]{8}\./, ".X.")).sort();
    expect(shapes).toEqual([".lawyers_hub_staging_T.sql.X.partial", ".lawyers_hub_staging_T.sql.claim"]);

    // A run in progress (written a moment ago) is left alone; an hour without a write is abandoned.
    const busy = ".lawyers_hub_staging_20991231T000000Z.sql.0a1b2c3d.partial";
    writeFileSync(join(dir, busy), "still being written");
    const fresh = await runCli(["backup", "prune", "--dir", dir]);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual([...left, busy].sort());

    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    for (const name of left) utimesSync(join(dir, name), twoHoursAgo, twoHoursAgo);
    const pruned = await runCli(["backup", "prune", "--dir", dir]);
    expect(pruned.code, pruned.stderr).toBe(0);
    for (const name of left) {
      expect(existsSync(join(dir, name)), name).toBe(false);
      expect(pruned.stdout).toContain(name);
    }
    expect(readdirSync(dir)).toEqual([busy]);
  }, 60_000);
});
