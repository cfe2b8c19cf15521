import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { backupFileName } from "../../src/backup/naming.ts";
import { runCli } from "../support/run-cli.ts";
import { tempDir } from "../support/temp-dir.ts";
import { filesIn } from "./support.ts";

const DAY = 86_400_000;

/** A backups folder with backups of many ages, sidecars, an orphan sidecar and foreign files. */
function folder(root: string, name: string, ages: number[]): { dir: string; names: string[] } {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const now = Date.now();
  const names = ages.map((days, index) => backupFileName("staging", new Date(now - days * DAY), index % 3 === 2));
  for (const backup of names) {
    writeFileSync(join(dir, backup), "dump");
    writeFileSync(join(dir, `${backup}.json`), "{}");
  }
  return { dir, names };
}

const FOREIGN = [
  "notes.txt",
  "lawyers_hub_staging_20200101T000000Z.sql.bak",
  "lawyers_hub_staging_2020-01-01.sql",
  "old_lawyers_hub_staging_20200101T000000Z.sql",
  ".lawyers_hub_staging_20200101T000000Z.sql.1a2b3c4d.partial",
  "lawyers_hub_staging_20201301T000000Z.sql",
  "lawyers_hub_qa_20200101T000000Z.sql",
  "lawyers_hub_qa_20200101T000000Z.sql.json",
];

describe("lh-ci backup prune", () => {
  const root = tempDir("lh-backup-prune-");

  it("deletes exactly the old backups and their sidecars, keeps the recent ones and never touches foreign files", async () => {
    const ages = [0.1, 1, 3, 6.9, 7.5, 10, 30, 400];
    const { dir, names } = folder(root, "mixed", ages);
    for (const name of FOREIGN) writeFileSync(join(dir, name), "x");
    const orphanOld = `${backupFileName("staging", new Date(Date.now() - 20 * DAY), false)}.json`;
    const orphanNew = `${backupFileName("staging", new Date(Date.now() - 2 * DAY), false)}.json`;
    writeFileSync(join(dir, orphanOld), "{}");
    writeFileSync(join(dir, orphanNew), "{}");
    mkdirSync(join(dir, backupFileName("staging", new Date(Date.now() - 50 * DAY), false))); // a folder, not a backup

    const result = await runCli(["backup", "prune", "--dir", dir]);
    expect(result.code).toBe(0);
    const old = names.filter((_, index) => (ages[index] ?? 0) > 7);
    const expectedDeleted = [...old.flatMap((name) => [name, `${name}.json`]), orphanOld];
    const printed = result.stdout
      .trim()
      .split("\n")
      .map((line) => line.replace(/^deleted .*\//, ""));
    expect(printed.sort()).toEqual(expectedDeleted.sort());
    for (const name of expectedDeleted) expect(existsSync(join(dir, name))).toBe(false);
    const recent = names.filter((_, index) => (ages[index] ?? 0) <= 7);
    for (const name of [...recent, ...recent.map((n) => `${n}.json`), ...FOREIGN, orphanNew]) {
      expect(existsSync(join(dir, name))).toBe(true);
    }
  });

  it("always keeps the newest --keep-min backups, however old", async () => {
    const { dir, names } = folder(root, "all-old", [40, 20, 10, 9]);
    const result = await runCli(["backup", "prune", "--dir", dir, "--keep-days", "7", "--keep-min", "2"]);
    expect(result.code).toBe(0);
    const [oldest, older] = names;
    expect(filesIn(dir)).toEqual([names[2], `${names[2]}.json`, names[3], `${names[3]}.json`].sort());
    expect(result.stdout).toContain(`deleted ${join(dir, oldest ?? "")}`);
    expect(result.stdout).toContain(`deleted ${join(dir, older ?? "")}`);

    const single = folder(root, "one-ancient", [1000]);
    const kept = await runCli(["backup", "prune", "--dir", single.dir]);
    expect(kept.code).toBe(0);
    expect(filesIn(single.dir)).toHaveLength(2);
    expect(kept.stderr).toContain(`newest ${single.names[0]}`);
  });

  it("--dry-run prints what would go and deletes nothing", async () => {
    const { dir } = folder(root, "dry", [1, 8, 9]);
    const before = filesIn(dir);
    const result = await runCli(["backup", "prune", "--dir", dir, "--dry-run"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split("\n")).toHaveLength(4);
    expect(result.stdout).toMatch(/^would delete /m);
    expect(filesIn(dir)).toEqual(before);
  });

  it("defaults to backups/<env> and refuses bad numbers and a missing folder with exit 2", async () => {
    const cwd = join(root, "cwd");
    folder(cwd, "backups/staging", [30, 1]);
    const result = await runCli(["backup", "prune"], { cwd });
    expect(result.code).toBe(0);
    expect(filesIn(join(cwd, "backups/staging"))).toHaveLength(2);

    for (const [args, message] of [
      [["--keep-days", "week"], "--keep-days: must be a number of days"],
      [["--keep-min", "1.5"], "--keep-min: must be a whole number"],
      [["--dir", join(root, "nope")], "is not a folder"],
    ] as const) {
      const bad = await runCli(["backup", "prune", ...args], { cwd });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain(message);
    }
  });

  it("skips dangling symlinks, symlink loops, symlinks to backups, FIFOs and folders named like backups", async () => {
    const { dir, names } = folder(root, "links", [1, 10, 20]);
    const at = (days: number, sequence = 1) =>
      join(dir, backupFileName("staging", new Date(Date.now() - days * DAY), false, sequence));
    const elsewhere = join(root, "elsewhere");
    mkdirSync(elsewhere, { recursive: true });
    const target = join(elsewhere, backupFileName("staging", new Date(Date.now() - 40 * DAY), false));
    writeFileSync(target, "someone else's backup");
    const odd = {
      dangling: at(30),
      loopA: at(31),
      loopB: at(32),
      toBackup: at(33),
      fifo: at(34),
      sidecarLink: `${at(35)}.json`,
    };
    symlinkSync(join(dir, "nowhere.sql"), odd.dangling);
    symlinkSync(odd.loopB, odd.loopA);
    symlinkSync(odd.loopA, odd.loopB);
    symlinkSync(target, odd.toBackup);
    execFileSync("mkfifo", ["--", odd.fifo]);
    symlinkSync(join(dir, "nowhere.json"), odd.sidecarLink);

    const result = await runCli(["backup", "prune", "--dir", dir]);
    expect(result.stderr).not.toContain("error");
    expect(result.code).toBe(0);
    const [recent, ...old] = names;
    for (const name of old) expect(existsSync(join(dir, name))).toBe(false);
    expect(existsSync(join(dir, recent ?? ""))).toBe(true);
    for (const path of Object.values(odd)) expect(lstatSync(path)).toBeTruthy();
    expect(readFileSync(target, "utf8")).toBe("someone else's backup");
  });

  it("keeps backups of the same second apart: the higher sequence is the newer", async () => {
    const dir = join(root, "same-second");
    mkdirSync(dir, { recursive: true });
    const second = new Date(Date.now() - 30 * DAY);
    const names = [1, 2, 3, 10].map((sequence) => backupFileName("staging", second, false, sequence));
    for (const name of names) writeFileSync(join(dir, name), "dump");
    const result = await runCli(["backup", "prune", "--dir", dir, "--keep-min", "1"]);
    expect(result.code).toBe(0);
    expect(filesIn(dir)).toEqual([backupFileName("staging", second, false, 10)]);
  });
});
