import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { adminQuery } from "../support/database.ts";
import { tempDir } from "../support/temp-dir.ts";
import { resign } from "./forge.ts";
import { expectNoSecret, lhCi, readJson, seededDatabase, takeBackup } from "./support.ts";

async function scratchDatabases(): Promise<string[]> {
  const { rows } = await adminQuery("SELECT datname FROM pg_database WHERE datname LIKE 'lh_restore_test_%'");
  return rows.map((row) => row.datname);
}

describe("lh-ci backup verify --restore-test", async () => {
  const db = await seededDatabase("lh_backup_verify");
  const cwd = tempDir("lh-backup-verify-");

  for (const gzip of [false, true]) {
    it(`restores a ${gzip ? "gzip" : "plain"} backup into a scratch database, compares row counts and drops it`, async () => {
      const backup = await takeBackup(cwd, db.secretUrl, gzip ? ["--gzip"] : []);
      const before = await scratchDatabases();
      const result = await lhCi(["backup", "verify", backup, "--restore-test"], cwd, db.secretUrl);
      expect(result.stderr).not.toContain("error:");
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(
        /Test restore: all 4 tables have the row counts the sidecar recorded; scratch database lh_restore_test_[0-9a-f]+ dropped/,
      );
      expect(result.stdout).toMatch(/: valid, restore-tested$/m);
      expect(await scratchDatabases()).toEqual(before);
      expectNoSecret(result.stdout, result.stderr);
    });
  }

  it("fails when the restored rows differ from what the sidecar recorded, and still drops the scratch database", async () => {
    const backup = await takeBackup(cwd, db.secretUrl);
    const sidecar = readJson(`${backup}.json`) as { tables: Record<string, number> };
    sidecar.tables["public.users"] = 201;
    writeFileSync(`${backup}.json`, JSON.stringify(sidecar));
    resign(backup); // signed with the key, as if it had leaked: the proofs below must still hold
    const before = await scratchDatabases();
    const result = await lhCi(["backup", "verify", backup, "--restore-test"], cwd, db.secretUrl);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("public.users: 200 rows, the backup recorded 201");
    expect(await scratchDatabases()).toEqual(before);
  });
});
