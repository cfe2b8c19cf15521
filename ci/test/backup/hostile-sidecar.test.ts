import { execFileSync } from "node:child_process";
import { copyFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../support/temp-dir.ts";
import { resign } from "./forge.ts";
import { lhCi, readJson, seededDatabase, takeBackup } from "./support.ts";

/** Sidecars and backup files that are not what they claim: verify must neither hang, nor read them whole, nor print them raw. */
describe("backup verify reads sidecars with bounds and prints them escaped", async () => {
  const db = await seededDatabase("lh_backup_sidecar");
  const cwd = tempDir("lh-backup-sidecar-");
  let good = "";

  beforeAll(async () => {
    good = await takeBackup(cwd, db.secretUrl);
  });

  /** A copy of the good backup whose sidecar is replaced by `sidecar(path)`. */
  function variant(name: string, sidecar: (sidecarPath: string) => void): string {
    const path = join(cwd, name);
    copyFileSync(good, path);
    rmSync(`${path}.json`, { force: true });
    sidecar(`${path}.json`);
    return path;
  }

  it("a FIFO as sidecar is refused at once instead of hanging", async () => {
    const path = variant("fifo.sql", (sidecar) => execFileSync("mkfifo", ["--", sidecar]));
    const result = await lhCi(["backup", "verify", path], cwd, db.secretUrl);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("sidecar fifo.sql.json is not a regular file, so it is not an lh-ci backup record");
  });

  it("a FIFO as backup file is refused at once instead of hanging", async () => {
    const path = join(cwd, "fifo-dump.sql");
    execFileSync("mkfifo", ["--", path]);
    copyFileSync(`${good}.json`, `${path}.json`);
    const result = await lhCi(["backup", "verify", path], cwd, db.secretUrl);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "fifo-dump.sql is not a regular file; pass the path of a .sql or .sql.gz backup file",
    );
  });

  it("an oversized sidecar is refused without being read", async () => {
    const path = variant("huge.sql", (sidecar) => {
      const record = readFileSync(`${good}.json`, "utf8");
      writeFileSync(sidecar, `${record.trimEnd()}${" ".repeat(5 * 1024 * 1024)}\n`);
    });
    const result = await lhCi(["backup", "verify", path], cwd, db.secretUrl);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/sidecar huge\.sql\.json is \d+ bytes, over the 4194304 byte limit/);
  });

  it("a sidecar with control characters in a printed field is refused, and nothing is printed raw", async () => {
    const path = variant("ansi.sql", (sidecar) => {
      const record = readJson(`${good}.json`);
      writeFileSync(sidecar, JSON.stringify({ ...record, database: "lh\u001b[2J\u001b[31m\nerror: forged" }));
    });
    const result = await lhCi(["backup", "verify", path], cwd, db.secretUrl);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "sidecar ansi.sql.json is not an lh-ci backup record (database: holds control characters)",
    );
    expect(result.stdout + result.stderr).not.toContain("\u001b");
    expect(result.stdout + result.stderr).not.toContain("forged");
  });

  it("a table name with control characters is printed escaped when the counts differ", async () => {
    const path = variant("table.sql", (sidecar) => {
      const record = readJson(`${good}.json`) as { tables: Record<string, number> };
      writeFileSync(
        sidecar,
        JSON.stringify({
          ...record,
          file: "table.sql",
          tables: { ...record.tables, "public.evil\u001b[2J\rerror: forged": 3 },
        }),
      );
      resign(sidecar.slice(0, -".json".length)); // with the key, as if it had leaked: the test restore runs
    });
    const result = await lhCi(["backup", "verify", path, "--restore-test"], cwd, db.secretUrl);
    expect(result.code).toBe(1);
    for (const raw of ["\u001b", "\r"]) expect(result.stdout + result.stderr).not.toContain(raw);
    expect(result.stderr).toContain("public.evil\\u001b[2J\\rerror: forged");
  });

  it("an invalid field named by a hostile key is printed escaped", async () => {
    const path = variant("key.sql", (sidecar) => {
      const record = readJson(`${good}.json`) as { tables: Record<string, number> };
      writeFileSync(sidecar, JSON.stringify({ ...record, tables: { "x\u001b[31m": -1 } }));
    });
    const result = await lhCi(["backup", "verify", path], cwd, db.secretUrl);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("tables.x\\u001b[31m");
    expect(result.stdout + result.stderr).not.toContain("\u001b");
  });
});
