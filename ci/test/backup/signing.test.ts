import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { adminQuery, withClient } from "../support/database.ts";
import { tempDir } from "../support/temp-dir.ts";
import { pgDumpFraming, writeForgedBackup } from "./forge.ts";
import { databaseFingerprint, filesIn, lhCi, modeOf, readJson, seededDatabase } from "./support.ts";

const OTHER_KEY = "another-signing-key-fedcba9876543210-for-tests";
/** No BACKUP_SIGNING_KEY: the environment's own key file (made on the first backup) signs and checks. */
const DEFAULT = { BACKUP_SIGNING_KEY: "" };

describe("every backup is signed by default, and restore trusts only this environment's signature", async () => {
  const db = await seededDatabase("lh_backup_signed");
  const other = await seededDatabase("lh_backup_signed_other");
  const cwd = tempDir("lh-backup-signed-");
  const backupsDir = join(cwd, "backups", "staging");
  const keyFile = join(cwd, ".lh-state", "staging", "backup-signing.key");
  let signedBackup = "";
  let current: Record<string, string> = {};

  beforeAll(async () => {
    const taken = await lhCi(["backup"], cwd, db.secretUrl, DEFAULT);
    expect(taken.code, taken.stderr).toBe(0);
    signedBackup = join(cwd, taken.stdout.trim().split("\n").at(-1) ?? "");
    await withClient(db.url, (client) => client.query("DELETE FROM matters WHERE id > 10"));
    current = await databaseFingerprint(db.url);
  });

  async function expectRefused(path: string, env: Record<string, string>, args: string[], message: RegExp) {
    const before = filesIn(backupsDir);
    const result = await lhCi(["restore", path, "--yes", "--allow-superuser", ...args], cwd, db.secretUrl, env);
    expect(result.stderr).toMatch(message);
    expect(result.code).not.toBe(0);
    expect(await databaseFingerprint(db.url)).toEqual(current);
    expect(filesIn(backupsDir)).toEqual(before); // refused before the safety backup, before the server saw a byte
    const key = readFileSync(keyFile, "utf8").trim();
    for (const text of [result.stdout, result.stderr]) expect(text).not.toContain(key);
  }

  it("the first backup makes the environment's key in its state directory (mode 0600) and signs with it", () => {
    expect(existsSync(keyFile)).toBe(true);
    expect(modeOf(keyFile)).toBe(0o600);
    const key = readFileSync(keyFile, "utf8").trim();
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(readJson(`${signedBackup}.json`).signature).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(readFileSync(`${signedBackup}.json`, "utf8")).not.toContain(key);
  });

  it("restore and backup verify accept it with the key file alone; the safety backup is signed too", async () => {
    const verify = await lhCi(["backup", "verify", signedBackup], cwd, db.secretUrl, DEFAULT);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stderr).toContain("signed with this environment's key");
    const result = await lhCi(
      ["restore", signedBackup, "--yes", "--allow-superuser", "--json"],
      cwd,
      db.secretUrl,
      DEFAULT,
    );
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "{}");
    expect(report.signature).toBe("valid");
    expect(readJson(`${report.safetyBackup}.json`).signature).toMatch(/^hmac-sha256:/);
    current = await databaseFingerprint(db.url);
  });

  it("an unsigned backup is refused unless --allow-unsigned, which is said loudly", async () => {
    const path = join(cwd, "unsigned", basename(signedBackup));
    mkdirSync(join(cwd, "unsigned"));
    copyFileSync(signedBackup, path);
    const { signature: _signature, ...unsigned } = readJson(`${signedBackup}.json`);
    writeFileSync(`${path}.json`, JSON.stringify(unsigned));
    await expectRefused(
      path,
      DEFAULT,
      [],
      /is not signed: only backups taken by lh-ci backup with this environment's key/,
    );
    const verify = await lhCi(["backup", "verify", path, "--restore-test"], cwd, db.secretUrl, DEFAULT);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toMatch(/is not signed/);
    const { rows } = await adminQuery("SELECT datname FROM pg_database WHERE datname LIKE 'lh_restore_test_%'");
    expect(rows.filter((row) => String(row.datname).includes("lh_restore_test_"))).toEqual([]);
    const allowed = await lhCi(
      ["restore", path, "--yes", "--allow-superuser", "--allow-unsigned"],
      cwd,
      db.secretUrl,
      DEFAULT,
    );
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stderr).toContain("unsigned, allowed by --allow-unsigned");
    current = await databaseFingerprint(db.url);
  });

  it("a signature made with another key is refused, and so is everything where no key exists", async () => {
    await expectRefused(
      signedBackup,
      { BACKUP_SIGNING_KEY: OTHER_KEY },
      [],
      /signature does not match the signing key/,
    );
    const elsewhere = tempDir("lh-backup-keyless-");
    const result = await lhCi(
      ["restore", signedBackup, "--yes", "--allow-superuser"],
      elsewhere,
      db.secretUrl,
      DEFAULT,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /there is no signing key for this environment .* set BACKUP_SIGNING_KEY to the exported key/,
    );
  });

  it("a signed backup of another database is refused, renamed or not (the signature binds the name and the database)", async () => {
    const taken = await lhCi(["backup", "--out", "other"], cwd, other.secretUrl, DEFAULT);
    expect(taken.code, taken.stderr).toBe(0);
    const otherBackup = join(cwd, taken.stdout.trim().split("\n").at(-1) ?? "");
    // Renamed as one of this database's backups: the sidecar still names its own file.
    const renamed = join(backupsDir, "lawyers_hub_staging_20990101T000000Z.sql");
    copyFileSync(otherBackup, renamed);
    copyFileSync(`${otherBackup}.json`, `${renamed}.json`);
    await expectRefused(
      renamed,
      DEFAULT,
      [],
      /its sidecar records the file "lawyers_hub_staging_\d{8}T\d{6}Z\.sql"; a backup must keep the name/,
    );
    // Under its own name: it is the other database's backup.
    await expectRefused(
      otherBackup,
      DEFAULT,
      [],
      new RegExp(`refusing a backup of the database ${other.name} for the database ${db.name}: pass --allow-cross-env`),
    );
  });

  it("a signed sidecar whose environment was edited is refused, even with --allow-cross-env", async () => {
    const path = join(cwd, "edited", basename(signedBackup));
    mkdirSync(join(cwd, "edited"));
    copyFileSync(signedBackup, path);
    writeFileSync(`${path}.json`, JSON.stringify({ ...readJson(`${signedBackup}.json`), environment: "qa" }));
    await expectRefused(path, DEFAULT, ["--allow-cross-env"], /signature does not match the signing key/);
  });

  it("--allow-unsigned does not let a forged dump's meta-commands through", async () => {
    const path = join(cwd, "forged.sql");
    writeForgedBackup(path, pgDumpFraming(`\\! echo pwned\n`), {}, { database: db.name, signature: null });
    const result = await lhCi(
      ["restore", path, "--yes", "--allow-superuser", "--allow-unsigned"],
      cwd,
      db.secretUrl,
      DEFAULT,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/a psql meta-command \(\\!\)/);
    expect(await databaseFingerprint(db.url)).toEqual(current);
  });

  it("a BACKUP_SIGNING_KEY shorter than 32 characters is a configuration error (exit 2), and is not printed", async () => {
    const result = await lhCi(["backup"], cwd, db.secretUrl, { BACKUP_SIGNING_KEY: "short-key-123" });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/BACKUP_SIGNING_KEY: is too short/);
    expect(result.stderr).not.toContain("short-key-123");
  });
});
