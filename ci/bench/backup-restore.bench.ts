// Backup and restore of a pgbench database (`pgbench -i -s 20`, about 300 MB of SQL), each timed
// against the raw tools on the same database in the same run:
//   backup:  `pg_dump > file`                  vs `lh-ci backup`      (target <= 1.10x)
//   restore: `pg_dump > safety && psql -1 -f`   vs `lh-ci restore --yes` (target <= 1.10x)
// lh-ci restore takes a safety backup of the current database before it restores, so its raw
// equivalent is that dump plus `psql -1 -f file`; the ratio to `psql -1 -f file` alone is printed too.
// Each measurement is the best of ROUNDS runs. Uses TEST_POSTGRES_URL (default the local postgres).
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const LH_CI = fileURLToPath(new URL("../bin/lh-ci.ts", import.meta.url));
const PGBENCH = ["/usr/lib/postgresql/15/bin/pgbench", "pgbench"].find((path) => {
  try {
    execFileSync(path, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
});
const SCALE = Number(process.env.BENCH_PGBENCH_SCALE ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const TARGET = 1.1;

const database = `lh_bench_${randomBytes(4).toString("hex")}`;
const url = (() => {
  const parsed = new URL(ADMIN_URL);
  parsed.pathname = `/${database}`;
  return parsed.toString();
})();
const work = mkdtempSync(join(tmpdir(), "lh-bench-"));

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function timed(run: () => void): number {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function check(result: ReturnType<typeof spawnSync>, what: string): void {
  if (result.status !== 0)
    throw new Error(`${what} failed (${result.status}): ${String(result.stderr ?? "").slice(-2000)}`);
}

function rawDump(file: string): void {
  const fd = openSync(file, "w", 0o600);
  try {
    check(
      spawnSync("pg_dump", ["--format=plain", "--no-owner", "--no-privileges", `--dbname=${url}`], {
        stdio: ["ignore", fd, "pipe"],
      }),
      "pg_dump",
    );
  } finally {
    closeSync(fd);
  }
}

function rawRestore(file: string): void {
  check(
    spawnSync("psql", ["-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", `--dbname=${url}`, "-f", file], {
      stdio: ["ignore", "ignore", "pipe"],
    }),
    "psql -1 -f",
  );
}

function lhCi(args: string[]): string {
  const result = spawnSync(process.execPath, ["--", LH_CI, ...args], {
    env: { ...process.env, DATABASE_URL: url, PUSHGATEWAY_URL: "" },
    cwd: work,
    encoding: "utf8",
  });
  check(result, `lh-ci ${args.join(" ")}`);
  return result.stdout.trim().split("\n").at(-1) ?? "";
}

function best(times: number[]): number {
  return Math.min(...times);
}

function line(label: string, seconds: number, baseline?: number): string {
  return `  ${label.padEnd(44)} ${seconds.toFixed(2).padStart(7)} s${baseline ? `   ${(seconds / baseline).toFixed(3)}x` : ""}`;
}

async function main(): Promise<number> {
  if (!PGBENCH) throw new Error("pgbench not found: install postgresql-contrib (PostgreSQL 15)");
  await admin(`CREATE DATABASE "${database}"`);
  try {
    console.log(`pgbench -i -s ${SCALE} into ${database}...`);
    check(
      spawnSync(PGBENCH, ["-i", "-q", "-s", String(SCALE), url], { stdio: ["ignore", "ignore", "pipe"] }),
      "pgbench -i",
    );

    const rawFile = join(work, "raw.sql");
    const backupDir = join(work, "backups");
    const dumpTimes: number[] = [];
    const lhBackupTimes: number[] = [];
    let backupPath = "";
    for (let round = 0; round < ROUNDS; round += 1) {
      dumpTimes.push(timed(() => rawDump(rawFile)));
      rmSync(backupDir, { recursive: true, force: true });
      lhBackupTimes.push(timed(() => (backupPath = join(work, lhCi(["backup", "--out", backupDir])))));
    }
    const size = statSync(rawFile).size;

    const psqlTimes: number[] = [];
    const lhRestoreTimes: number[] = [];
    const loadPhaseTimes: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      // Raw: into the emptied database (psql -1 -f cannot replace existing objects by itself).
      await admin(`DROP DATABASE "${database}" WITH (FORCE)`);
      await admin(`CREATE DATABASE "${database}"`);
      psqlTimes.push(timed(() => rawRestore(rawFile)));
      // lh-ci: over the populated database, as an operator runs it.
      const safetyDir = join(work, `safety-${round}`);
      let report = "";
      lhRestoreTimes.push(
        timed(() => (report = lhCi(["restore", backupPath, "--yes", "--json", "--backup-dir", safetyDir]))),
      );
      // The phase lh-ci restore reports for its one-transaction load (clear + psql), comparable to psql -1 -f.
      loadPhaseTimes.push((JSON.parse(report) as { seconds: { restore: number } }).seconds.restore);
      if (readdirSync(safetyDir).length !== 2) throw new Error("the restore left no safety backup");
      rmSync(safetyDir, { recursive: true, force: true });
    }

    const dump = best(dumpTimes);
    const lhBackup = best(lhBackupTimes);
    const psql = best(psqlTimes);
    const lhRestore = best(lhRestoreTimes);
    const backupRatio = lhBackup / dump;
    const restoreRatio = lhRestore / (dump + psql);
    console.log(`dump size ${(size / 1024 / 1024).toFixed(0)} MB; best of ${ROUNDS} runs each`);
    console.log(line("pg_dump > file", dump));
    console.log(line("lh-ci backup (sha256, sidecar, row counts)", lhBackup, dump));
    console.log(line("psql -1 -f file", psql));
    console.log(line("pg_dump > safety && psql -1 -f file", dump + psql));
    console.log(line("lh-ci restore --yes (verify, safety backup)", lhRestore, dump + psql));
    console.log(`  lh-ci restore vs psql -1 -f alone: ${(lhRestore / psql).toFixed(3)}x (includes the safety backup)`);
    console.log(line("  its load phase (clear + psql -1, one tx)", best(loadPhaseTimes), psql));
    const met = backupRatio <= TARGET && restoreRatio <= TARGET;
    console.log(
      `backup ${backupRatio.toFixed(3)}x, restore ${restoreRatio.toFixed(3)}x (target <= ${TARGET}x): ${met ? "met" : "MISSED"}`,
    );
    return met ? 0 : 1;
  } finally {
    await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = await main();
