import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { gunzipSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { withClient } from "../support/database.ts";
import { tempDir } from "../support/temp-dir.ts";
import { resign } from "./forge.ts";
import { databaseFingerprint, lhCi, readJson, seededDatabase, takeBackup } from "./support.ts";

/** Rewrites a backup with SQL that breaks half-way, and a sidecar that vouches for it. */
function breakInTheMiddle(path: string, gzip: boolean): void {
  const stored = readFileSync(path);
  const text = (gzip ? gunzipSync(stored) : stored).toString("utf8");
  // After the users' data was loaded: the failure comes once real changes are in the transaction.
  const at = text.indexOf("COPY public.users");
  const broken = `${text.slice(0, at)}INSERT INTO public.users (email, role) VALUES ('x', 'no-such-role');\n${text.slice(at)}`;
  const bytes = gzip ? gzipSync(broken) : Buffer.from(broken);
  writeFileSync(path, bytes);
  const sidecar = readJson(`${path}.json`);
  sidecar.sha256 = createHash("sha256").update(bytes).digest("hex");
  sidecar.sizeBytes = bytes.length;
  sidecar.compression = gzip ? "gzip" : "none";
  writeFileSync(`${path}.json`, JSON.stringify(sidecar));
  resign(path); // signed with the key, as if it had leaked: the proofs below must still hold
}

describe("a restore that fails half-way", async () => {
  const db = await seededDatabase("lh_backup_half");
  const cwd = tempDir("lh-backup-half-");

  for (const gzip of [false, true]) {
    it(`leaves the database exactly as it was (${gzip ? "gzip" : "plain"})`, async () => {
      const backup = await takeBackup(cwd, db.secretUrl, gzip ? ["--gzip"] : []);
      breakInTheMiddle(backup, gzip);
      await withClient(db.url, (client) =>
        client.query(
          "DROP TABLE IF EXISTS audit.events; CREATE TABLE IF NOT EXISTS later (id int); INSERT INTO later VALUES (42)",
        ),
      );
      const before = await databaseFingerprint(db.url);

      const result = await lhCi(["restore", backup, "--yes", "--allow-superuser"], cwd, db.secretUrl);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /the restore failed and was rolled back, so the database is exactly as it was before/,
      );
      expect(result.stderr).toMatch(/invalid input value for enum public\.role: "no-such-role"/);
      expect(await databaseFingerprint(db.url)).toEqual(before);
    });
  }
});
