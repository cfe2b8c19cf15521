import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { pgTarget } from "../../src/backup/connection.ts";
import { createBackup } from "../../src/backup/create-backup.ts";
import { tempDir } from "../support/temp-dir.ts";
import { lhCi, seededDatabase } from "./support.ts";

describe("backups started in the same second", async () => {
  const db = await seededDatabase("lh_backup_same_second");

  it("all succeed, each under its own name, with its own sidecar (in one process, the clock held still)", async () => {
    const dir = tempDir("lh-backup-same-second-");
    const second = new Date("2026-11-30T01:02:03.456Z");
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        createBackup({
          target: pgTarget(db.url),
          envName: "staging",
          gzip: false,
          destination: { dir },
          now: () => second,
        }),
      ),
    );
    const names = results.map((result) => result.metadata.file).sort();
    expect(names).toEqual(
      ["", "-2", "-3", "-4", "-5", "-6"].map((suffix) => `lawyers_hub_staging_20261130T010203Z${suffix}.sql`).sort(),
    );
    for (const result of results) expect(result.metadata.createdAt).toBe(second.toISOString());
    const files = readdirSync(dir).sort();
    expect(files).toEqual(names.flatMap((name) => [name, `${name}.json`]).sort());
  });

  it("all succeed as concurrent lh-ci processes, with distinct names that backup verify accepts", async () => {
    const cwd = tempDir("lh-backup-same-second-cli-");
    const runs = await Promise.all(
      Array.from({ length: 5 }, () => lhCi(["backup", "--out", "shared"], cwd, db.secretUrl)),
    );
    for (const run of runs) {
      expect(run.stderr).not.toContain("error:");
      expect(run.code).toBe(0);
    }
    const paths = runs.map((run) => run.stdout.trim().split("\n").at(-1) ?? "");
    expect(new Set(paths).size).toBe(5);
    for (const path of paths) expect((await lhCi(["backup", "verify", path], cwd, db.secretUrl)).code).toBe(0);
    expect(readdirSync(`${cwd}/shared`).filter((name) => name.startsWith("."))).toEqual([]);
  });
});
