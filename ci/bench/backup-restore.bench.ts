// Backup and restore of a pgbench database (`pgbench -i -s 20`, about 300 MB of SQL), each timed
// against the raw tools on the same database in the same run:
//   backup:  `pg_dump > file`                  vs `lh-ci backup`      (target <= 1.10x)
//   restore: `pg_dump > safety && psql -1 -f`   vs `lh-ci restore --yes` (target <= 1.10x)
// lh-ci restore takes a safety backup of the current database before it restores, so its raw
// equivalent is that dump plus `psql -1 -f file`; the ratio to `psql -1 -f file` alone is printed too.
// Also: lh-ci's cold start (`lh-ci backup --help`, which loads the backup command's modules;
// target <= 0.25 s) and the peak RSS of lh-ci backup and restore at scale 20 against scale 5
// (they stream: target <= 1.2x) and its absolute value at scale 20 (target <= 256 MB). Each time
// is the best of ROUNDS runs (default 3), each started from the same quiet state (timedFromQuiet).
// lh-ci runs as in the ops image: its bundle (built from this checkout first), with its shebang's Node options.
// The raw tools are run as typed (on Debian, through pg_wrapper, which lh-ci skips); the ratios to
// the versioned programs themselves are printed as well.
// Uses TEST_POSTGRES_URL (default the local postgres) to create the databases, owned by a role of
// the bench's own that is not a superuser: every side (lh-ci, pg_dump, psql, pgbench) connects as
// it, as the stack's application role does (restore refuses a superuser).
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { pgBinary } from "../src/backup/pg-binary.ts";
import { buildLhCiBundle } from "../test/support/lh-ci-bundle.ts";
import { shebangNodeOptions } from "../test/support/shebang.ts";

const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const LH_CI = buildLhCiBundle();
const PGBENCH = ["/usr/lib/postgresql/15/bin/pgbench", "pgbench"].find((path) => {
  try {
    execFileSync(path, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
});
const PEAK_RSS = fileURLToPath(new URL("./peak-rss.ts", import.meta.url));
const LH_CI_NODE_OPTIONS = shebangNodeOptions(LH_CI);
const SCALE = Number(process.env.BENCH_PGBENCH_SCALE ?? 20);
const SMALL_SCALE = 5;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TARGET = 1.1;
const COLD_START_TARGET = 0.25;
const RSS_TARGET = 1.2;
/** Peak RSS of lh-ci itself at scale 20: the ops container's limit is 512 MB, shared with pg_dump and psql. */
const PEAK_RSS_BUDGET_MB = 256;

const database = `lh_bench_${randomBytes(4).toString("hex")}`;
const smallDatabase = `${database}_small`;
/** The application role of the bench's databases (trust auth: no password), dropped at the end. */
const ROLE = `${database}_app`;
function databaseUrl(name: string): string {
  const parsed = new URL(ADMIN_URL);
  parsed.username = ROLE;
  parsed.password = "";
  parsed.pathname = `/${name}`;
  return parsed.toString();
}
const url = databaseUrl(database);
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

/**
 * Times a command that reads or writes the database's size of data, from the same quiet state for
 * every side: the dirty pages of the previous step's files flushed (sync) and the checkpoint its
 * load made due taken (CHECKPOINT), so that neither lands on whichever command happens to run next.
 */
function timedFromQuiet(run: () => void): number {
  check(spawnSync("sync"), "sync");
  check(spawnSync(DIRECT.psql, ["-X", "-q", "-c", "CHECKPOINT", `--dbname=${ADMIN_URL}`]), "CHECKPOINT");
  return timed(run);
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

/**
 * The raw tools as an operator types them (`pg_dump`, `psql`: on Debian, its pg_wrapper), and the
 * programs lh-ci itself runs (the wrapper's choice without its Perl start), for the stricter ratio.
 */
const TYPED = { pg_dump: "pg_dump", psql: "psql" } as const;
const DIRECT = { pg_dump: pgBinary("pg_dump"), psql: pgBinary("psql") } as const;
type Programs = typeof TYPED | typeof DIRECT;

function rawDump(file: string, programs: Programs = TYPED): void {
  const fd = openSync(file, "w", 0o600);
  try {
    check(
      spawnSync(programs.pg_dump, ["--format=plain", "--no-owner", `--dbname=${url}`], {
        stdio: ["ignore", fd, "pipe"],
      }),
      "pg_dump",
    );
  } finally {
    closeSync(fd);
  }
}

function rawRestore(file: string, programs: Programs = TYPED): void {
  check(
    spawnSync(programs.psql, ["-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", `--dbname=${url}`, "-f", file], {
      stdio: ["ignore", "ignore", "pipe"],
    }),
    "psql -1 -f",
  );
}

/**
 * Runs lh-ci; `rss` receives its peak resident set size in KB. Only the memory runs load the
 * RSS probe: a preloaded TypeScript file would make Node load its TypeScript stripper (~40 ms)
 * before lh-ci's compile cache is on, which the timed runs must not pay.
 */
function lhCi(args: string[], target = url, rss?: (kb: number) => void): string {
  const rssFile = join(work, "rss");
  const probe = rss ? ["--import", PEAK_RSS] : [];
  const result = spawnSync(process.execPath, [...LH_CI_NODE_OPTIONS, ...probe, "--", LH_CI, ...args], {
    env: { ...process.env, DATABASE_URL: target, PUSHGATEWAY_URL: "", BENCH_RSS_FILE: rssFile },
    cwd: work,
    encoding: "utf8",
  });
  check(result, `lh-ci ${args.join(" ")}`);
  rss?.(Number(readFileSync(rssFile, "utf8")));
  return result.stdout.trim().split("\n").at(-1) ?? "";
}

function pgbenchInit(target: string, scale: number): void {
  check(
    spawnSync(PGBENCH as string, ["-i", "-q", "-s", String(scale), target], { stdio: ["ignore", "ignore", "pipe"] }),
    "pgbench -i",
  );
}

/** Peak RSS (KB) of lh-ci backup and of lh-ci restore of that backup, on `target`. */
function peakRss(target: string, label: string): { backup: number; restore: number } {
  const peaks = { backup: 0, restore: 0 };
  const dir = join(work, `rss-${label}`);
  const path = join(
    work,
    lhCi(["backup", "--out", dir], target, (kb) => (peaks.backup = kb)),
  );
  lhCi(["restore", path, "--yes", "--backup-dir", join(dir, "safety")], target, (kb) => (peaks.restore = kb));
  rmSync(dir, { recursive: true, force: true });
  return peaks;
}

/** `lh-ci backup --help`: Node start-up plus the modules a backup loads (best of 5). */
function coldStart(): number {
  const times: number[] = [];
  for (let round = 0; round < 5; round += 1) {
    times.push(
      timed(() =>
        check(spawnSync(process.execPath, [...LH_CI_NODE_OPTIONS, "--", LH_CI, "backup", "--help"]), "lh-ci --help"),
      ),
    );
  }
  return Math.min(...times);
}

function best(times: number[]): number {
  return Math.min(...times);
}

function line(label: string, seconds: number, baseline?: number): string {
  return `  ${label.padEnd(44)} ${seconds.toFixed(2).padStart(7)} s${baseline ? `   ${(seconds / baseline).toFixed(3)}x` : ""}`;
}

async function main(): Promise<number> {
  if (!PGBENCH) throw new Error("pgbench not found: install postgresql-contrib (PostgreSQL 15)");
  await admin(`CREATE ROLE "${ROLE}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE`);
  await admin(`CREATE DATABASE "${database}" OWNER "${ROLE}"`);
  await admin(`CREATE DATABASE "${smallDatabase}" OWNER "${ROLE}"`);
  try {
    const cold = coldStart();
    console.log(`pgbench -i -s ${SMALL_SCALE} into ${smallDatabase} (memory baseline)...`);
    pgbenchInit(databaseUrl(smallDatabase), SMALL_SCALE);
    const smallRss = peakRss(databaseUrl(smallDatabase), "small");
    await admin(`DROP DATABASE "${smallDatabase}" WITH (FORCE)`);
    console.log(`pgbench -i -s ${SCALE} into ${database}...`);
    pgbenchInit(url, SCALE);
    const largeRss = peakRss(url, "large");

    const rawFile = join(work, "raw.sql");
    const backupDir = join(work, "backups");
    const dumpTimes: number[] = [];
    const directDumpTimes: number[] = [];
    const lhBackupTimes: number[] = [];
    let backupPath = "";
    for (let round = 0; round < ROUNDS; round += 1) {
      // Each side writes a new file: freeing the previous one (~50-90 ms for 185 MB here) is
      // not timed, for pg_dump as for lh-ci (whose backups directory is removed untimed).
      rmSync(rawFile, { force: true });
      directDumpTimes.push(timedFromQuiet(() => rawDump(rawFile, DIRECT)));
      rmSync(rawFile, { force: true });
      dumpTimes.push(timedFromQuiet(() => rawDump(rawFile)));
      rmSync(backupDir, { recursive: true, force: true });
      lhBackupTimes.push(timedFromQuiet(() => (backupPath = join(work, lhCi(["backup", "--out", backupDir])))));
    }
    const size = statSync(rawFile).size;

    const psqlTimes: number[] = [];
    const directPsqlTimes: number[] = [];
    const lhRestoreTimes: number[] = [];
    const phases: Array<Record<string, number>> = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      // Raw: into the emptied database (psql -1 -f cannot replace existing objects by itself).
      await admin(`DROP DATABASE "${database}" WITH (FORCE)`);
      await admin(`CREATE DATABASE "${database}" OWNER "${ROLE}"`);
      directPsqlTimes.push(timedFromQuiet(() => rawRestore(rawFile, DIRECT)));
      await admin(`DROP DATABASE "${database}" WITH (FORCE)`);
      await admin(`CREATE DATABASE "${database}" OWNER "${ROLE}"`);
      psqlTimes.push(timedFromQuiet(() => rawRestore(rawFile)));
      // lh-ci: over the populated database, as an operator runs it.
      const safetyDir = join(work, `safety-${round}`);
      let report = "";
      lhRestoreTimes.push(
        timedFromQuiet(() => (report = lhCi(["restore", backupPath, "--yes", "--json", "--backup-dir", safetyDir]))),
      );
      // The phase lh-ci restore reports for its one-transaction load (clear + psql), comparable to psql -1 -f.
      phases.push((JSON.parse(report) as { seconds: Record<string, number> }).seconds);
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
    const rounds = (times: number[]) => times.map((t) => t.toFixed(2)).join(", ");
    console.log(`  every round (s): pg_dump > file ${rounds(dumpTimes)}; lh-ci backup ${rounds(lhBackupTimes)}`);
    console.log(`  every round (s): psql -1 -f file ${rounds(psqlTimes)}; lh-ci restore ${rounds(lhRestoreTimes)}`);
    console.log(line("pg_dump > file", dump));
    console.log(line("lh-ci backup (sha256, sidecar, row counts)", lhBackup, dump));
    console.log(line("psql -1 -f file", psql));
    console.log(line("pg_dump > safety && psql -1 -f file", dump + psql));
    console.log(line("lh-ci restore --yes (verify, safety backup)", lhRestore, dump + psql));
    console.log(`  lh-ci restore vs psql -1 -f alone: ${(lhRestore / psql).toFixed(3)}x (includes the safety backup)`);
    if (DIRECT.pg_dump !== TYPED.pg_dump || DIRECT.psql !== TYPED.psql) {
      // lh-ci skips Debian's pg_wrapper; against the programs it runs, its own overhead alone shows.
      const directDump = best(directDumpTimes);
      const directPsql = best(directPsqlTimes);
      console.log(`  against ${DIRECT.pg_dump} and ${DIRECT.psql} without the wrapper (as lh-ci runs them):`);
      console.log(line("  pg_dump > file", directDump));
      console.log(line("  lh-ci backup", lhBackup, directDump));
      console.log(line("  pg_dump > safety && psql -1 -f file", directDump + directPsql));
      console.log(line("  lh-ci restore --yes", lhRestore, directDump + directPsql));
    }
    // Phases of the fastest lh-ci restore, as it reports them.
    const fastest = phases[lhRestoreTimes.indexOf(lhRestore)] ?? {};
    for (const [phase, seconds] of Object.entries(fastest)) {
      console.log(
        line(`  phase ${phase}`, seconds, phase === "restore" ? psql : phase === "safetyBackup" ? dump : undefined),
      );
    }
    const rssBackup = largeRss.backup / smallRss.backup;
    const rssRestore = largeRss.restore / smallRss.restore;
    console.log(
      `peak RSS lh-ci backup: ${(smallRss.backup / 1024).toFixed(0)} MB at scale ${SMALL_SCALE}, ${(largeRss.backup / 1024).toFixed(0)} MB at scale ${SCALE} (${rssBackup.toFixed(2)}x)`,
    );
    console.log(
      `peak RSS lh-ci restore: ${(smallRss.restore / 1024).toFixed(0)} MB at scale ${SMALL_SCALE}, ${(largeRss.restore / 1024).toFixed(0)} MB at scale ${SCALE} (${rssRestore.toFixed(2)}x)`,
    );
    console.log(`cold start (lh-ci backup --help, best of 5): ${cold.toFixed(3)} s`);
    const ratiosMet = backupRatio <= TARGET && restoreRatio <= TARGET;
    const coldMet = cold <= COLD_START_TARGET;
    const rssMet = rssBackup <= RSS_TARGET && rssRestore <= RSS_TARGET;
    console.log(
      `backup ${backupRatio.toFixed(3)}x, restore ${restoreRatio.toFixed(3)}x (target <= ${TARGET}x): ${ratiosMet ? "met" : "MISSED"}`,
    );
    console.log(`cold start ${cold.toFixed(3)} s (target <= ${COLD_START_TARGET} s): ${coldMet ? "met" : "MISSED"}`);
    console.log(
      `RSS scale ${SCALE} / scale ${SMALL_SCALE}: backup ${rssBackup.toFixed(2)}x, restore ${rssRestore.toFixed(2)}x (target <= ${RSS_TARGET}x): ${rssMet ? "met" : "MISSED"}`,
    );
    const peakMb = { backup: largeRss.backup / 1024, restore: largeRss.restore / 1024 };
    const budgetMet = peakMb.backup <= PEAK_RSS_BUDGET_MB && peakMb.restore <= PEAK_RSS_BUDGET_MB;
    console.log(
      `peak RSS at scale ${SCALE}: backup ${peakMb.backup.toFixed(0)} MB, restore ${peakMb.restore.toFixed(0)} MB (target <= ${PEAK_RSS_BUDGET_MB} MB; the ops container has 512 MB): ${budgetMet ? "met" : "MISSED"}`,
    );
    return ratiosMet && coldMet && rssMet && budgetMet ? 0 : 1;
  } finally {
    await admin(`DROP DATABASE IF EXISTS "${smallDatabase}" WITH (FORCE)`);
    await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin(`DROP ROLE IF EXISTS "${ROLE}"`);
    rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = await main();
