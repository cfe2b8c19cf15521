import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { withClient } from "../support/database.ts";
import { tempDir } from "../support/temp-dir.ts";
import { pgDumpFraming, writeForgedBackup } from "./forge.ts";
import { databaseFingerprint, filesIn, lhCi, readJson, seededDatabase, takeBackup } from "./support.ts";

const KEY = "backup-signing-key-0123456789abcdef-for-tests";
const OTHER_KEY = "another-signing-key-fedcba9876543210-for-tests";
const signed = { BACKUP_SIGNING_KEY: KEY };

describe("signed backups (BACKUP_SIGNING_KEY)", async () => {
  const db = await seededDatabase("lh_backup_signed");
  const cwd = tempDir("lh-backup-signed-");
  const backupsDir = join(cwd, "backups", "staging");
  let signedBackup = "";
  let unsignedBackup = "";
  let current: Record<string, string> = {};

  beforeAll(async () => {
    const taken = await lhCi(["backup"], cwd, db.secretUrl, signed);
    expect(taken.code).toBe(0);
    signedBackup = join(cwd, taken.stdout.trim().split("\n").at(-1) ?? "");
    unsignedBackup = await takeBackup(cwd, db.secretUrl, ["--out", "unsigned"]);
    await withClient(db.url, (client) => client.query("DELETE FROM matters WHERE id > 10"));
    current = await databaseFingerprint(db.url);
  });

  async function expectRefused(path: string, env: Record<string, string>, args: string[], message: RegExp) {
    const before = filesIn(backupsDir);
    const result = await lhCi(["restore", path, "--yes", ...args], cwd, db.secretUrl, env);
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(1);
    expect(await databaseFingerprint(db.url)).toEqual(current);
    expect(filesIn(backupsDir)).toEqual(before); // refused before the safety backup
    for (const text of [result.stdout, result.stderr]) expect(text).not.toContain(KEY);
  }

  it("backup writes an HMAC into the sidecar, never the key", () => {
    const sidecar = readJson(`${signedBackup}.json`);
    expect(sidecar.signature).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(readFileSync(`${signedBackup}.json`, "utf8")).not.toContain(KEY);
    expect(readJson(`${unsignedBackup}.json`).signature).toBeUndefined();
  });

  it("restore with the key accepts the signed backup (and backup verify says it is signed)", async () => {
    const verify = await lhCi(["backup", "verify", signedBackup], cwd, db.secretUrl, signed);
    expect(verify.code).toBe(0);
    expect(verify.stderr).toContain("signed with BACKUP_SIGNING_KEY");
    const result = await lhCi(["restore", signedBackup, "--yes", "--json"], cwd, db.secretUrl, signed);
    expect(result.stderr).not.toContain("error:");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "{}").signature).toBe("valid");
    // The safety backup taken on the way is signed too, so it can be restored under the same rule.
    const safety = JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "{}").safetyBackup as string;
    expect(readJson(`${safety}.json`).signature).toMatch(/^hmac-sha256:/);
    current = await databaseFingerprint(db.url);
  });

  it("with a key set, an unsigned backup is refused unless --allow-unsigned", async () => {
    await expectRefused(
      unsignedBackup,
      signed,
      [],
      /is not signed, and BACKUP_SIGNING_KEY is set: .* pass --allow-unsigned \(nothing was changed\)/,
    );
    const allowed = await lhCi(["restore", unsignedBackup, "--yes", "--allow-unsigned"], cwd, db.secretUrl, signed);
    expect(allowed.code).toBe(0);
    expect(allowed.stderr).toContain("unsigned, allowed by --allow-unsigned");
    current = await databaseFingerprint(db.url);
  });

  it("a signature made with another key is refused", async () => {
    await expectRefused(
      signedBackup,
      { BACKUP_SIGNING_KEY: OTHER_KEY },
      [],
      /signature does not match BACKUP_SIGNING_KEY/,
    );
  });

  it("a signed sidecar whose environment was edited is refused, even with --allow-cross-env", async () => {
    const path = join(cwd, "edited.sql");
    writeFileSync(path, readFileSync(signedBackup));
    const sidecar = readJson(`${signedBackup}.json`);
    writeFileSync(`${path}.json`, JSON.stringify({ ...sidecar, environment: "qa" }));
    await expectRefused(
      path,
      signed,
      ["--allow-cross-env"],
      /signature does not match BACKUP_SIGNING_KEY: the backup or its sidecar was changed/,
    );
  });

  it("--allow-unsigned does not let a forged dump's meta-commands through", async () => {
    const path = join(cwd, "forged.sql");
    writeForgedBackup(path, pgDumpFraming(`\\! echo pwned\n`));
    const result = await lhCi(["restore", path, "--yes", "--allow-unsigned"], cwd, db.secretUrl, signed);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/a psql meta-command \(\\!\)/);
    expect(await databaseFingerprint(db.url)).toEqual(current);
  });

  it("a key shorter than 32 characters is a configuration error (exit 2), and is not printed", async () => {
    const result = await lhCi(["backup"], cwd, db.secretUrl, { BACKUP_SIGNING_KEY: "short-key-123" });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/BACKUP_SIGNING_KEY: is too short/);
    expect(result.stderr).not.toContain("short-key-123");
  });
});
