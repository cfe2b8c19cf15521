import { createHash } from "node:crypto";
import { copyFileSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { withClient } from "../support/database.ts";
import { tempDir } from "../support/temp-dir.ts";
import { resign } from "./forge.ts";
import { databaseFingerprint, expectNoSecret, filesIn, lhCi, readJson, seededDatabase, takeBackup } from "./support.ts";

describe("restore refuses what it cannot prove safe, and leaves the database untouched", async () => {
  const db = await seededDatabase("lh_backup_refuse");
  const cwd = tempDir("lh-backup-refuse-");
  const backupsDir = join(cwd, "backups", "staging");
  let good = "";
  let current: Record<string, string> = {};

  beforeAll(async () => {
    good = await takeBackup(cwd, db.secretUrl);
    // The database moves on after the backup: a refused restore must leave this state.
    await withClient(db.url, (client) => client.query("DELETE FROM matters WHERE id > 10; UPDATE users SET bio = 'x'"));
    current = await databaseFingerprint(db.url);
  });

  /** A copy of the good backup (and its sidecar), damaged by `damage`. */
  function variant(name: string, damage: (path: string) => void): string {
    const path = join(cwd, name);
    copyFileSync(good, path);
    // Under its new name, signed with the key (as if it had leaked): only the damage is left to find.
    writeFileSync(`${path}.json`, JSON.stringify({ ...readJson(`${good}.json`), file: name }));
    resign(path);
    damage(path);
    return path;
  }

  /**
   * `provenBy: "load"`: what only a full read shows (a changed byte, a missing end marker) is proven
   * in the same pass that loads the file, inside the transaction: the safety backup exists by then,
   * the transaction is rolled back and the database checked. Everything else is refused before.
   */
  async function expectRefused(
    path: string,
    args: string[],
    code: number,
    message: RegExp,
    provenBy: "sidecar" | "load" = "sidecar",
  ): Promise<void> {
    const before = filesIn(backupsDir);
    const result = await lhCi(["restore", path, ...args, "--allow-superuser"], cwd, db.secretUrl);
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(code);
    expect(await databaseFingerprint(db.url)).toEqual(current);
    if (provenBy === "sidecar") {
      expect(filesIn(backupsDir)).toEqual(before); // not even a safety backup: nothing was started
    } else {
      expect(result.stderr).toMatch(/rolled back, so the database is exactly as it was before \(checked: /);
      expect(filesIn(backupsDir).length).toBe(before.length + 2); // the safety backup and its sidecar
    }
    expectNoSecret(result.stdout, result.stderr);
  }

  it("refuses a truncated backup", async () => {
    const path = variant("truncated.sql", (file) => truncateSync(file, Math.floor(readFileSync(file).length / 2)));
    await expectRefused(
      path,
      ["--yes"],
      1,
      /truncated\.sql is [\d.]+ KB \(\d+ bytes\) but its sidecar records .*truncated or was changed; use another backup/,
    );
  });

  it("refuses a backup with one byte changed", async () => {
    const path = variant("flipped.sql", (file) => {
      const bytes = readFileSync(file);
      const at = bytes.indexOf("user17@");
      bytes[at] = "U".charCodeAt(0);
      writeFileSync(file, bytes);
    });
    await expectRefused(
      path,
      ["--yes"],
      1,
      /flipped\.sql does not match the sha256 in its sidecar: .*use another backup/,
      "load",
    );
  });

  it("refuses a backup without its sidecar", async () => {
    const path = join(cwd, "lonely.sql");
    copyFileSync(good, path);
    await expectRefused(path, ["--yes"], 1, /lonely\.sql has no sidecar lonely\.sql\.json beside it/);
  });

  it("refuses a complete-looking checksum match whose dump lacks pg_dump's completion marker", async () => {
    const path = variant("unfinished.sql", (file) => {
      const text = readFileSync(file, "utf8").replace("-- PostgreSQL database dump complete", "-- (cut)");
      writeFileSync(file, text);
      const sidecar = readJson(`${file}.json`);
      sidecar.sha256 = createHash("sha256").update(text).digest("hex");
      sidecar.sizeBytes = Buffer.byteLength(text);
      writeFileSync(`${file}.json`, JSON.stringify(sidecar));
      resign(file); // signed with the key, as if it had leaked: the proofs below must still hold
    });
    await expectRefused(
      path,
      ["--yes"],
      1,
      /unfinished\.sql is not a complete backup: pg_dump's completion marker is missing/,
      "load",
    );
  });

  it("refuses a backup of another environment without --allow-cross-env", async () => {
    const qa = await takeBackup(cwd, db.secretUrl, ["--env", "qa", "--out", "backups/qa"]);
    await expectRefused(qa, ["--yes"], 2, /refusing a backup of qa for staging: pass --allow-cross-env/);
    const allowed = await lhCi(["restore", qa, "--yes", "--allow-superuser", "--allow-cross-env"], cwd, db.secretUrl);
    expect(allowed.code).toBe(0);
    current = await databaseFingerprint(db.url);
  });

  it("refuses without a terminal and without --yes", async () => {
    await expectRefused(
      good,
      [],
      2,
      /refusing to restore without confirmation: there is no terminal to ask on; pass --yes/,
    );
  });

  it("backup verify reports the same faults with exit 1 and passes the good backup", async () => {
    const ok = await lhCi(["backup", "verify", good], cwd, db.secretUrl);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/lawyers_hub_staging_\d{8}T\d{6}Z\.sql: valid$/m);
    for (const [name, message] of [
      ["truncated.sql", /truncated or was changed/],
      ["flipped.sql", /does not match the sha256/],
      ["lonely.sql", /has no sidecar/],
      ["unfinished.sql", /completion marker is missing/],
    ] as const) {
      const result = await lhCi(["backup", "verify", join(cwd, name)], cwd, db.secretUrl);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(message);
    }
  });
});
