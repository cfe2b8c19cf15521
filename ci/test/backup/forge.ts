import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import type { BackupMetadata } from "../../src/backup/sidecar.ts";
import { signMetadata } from "../../src/backup/signature.ts";

/**
 * The signing key the backup tests' lh-ci runs use (support.ts sets BACKUP_SIGNING_KEY), and that
 * forged sidecars are signed with: the tests' forger holds the real key, as if it had leaked, so
 * the second wall (the content checks) is what they test.
 */
export const TEST_SIGNING_KEY = "the-backup-tests-signing-key-0123456789abcdef";

/** Signs (again) the sidecar of `path` with `key`, after a test edited it. */
export function resign(path: string, key = TEST_SIGNING_KEY): void {
  const { signature: _old, ...metadata } = JSON.parse(readFileSync(`${path}.json`, "utf8")) as BackupMetadata;
  writeFileSync(`${path}.json`, JSON.stringify({ ...metadata, signature: signMetadata(metadata, key) }));
}

/** The key a forged dump's `\restrict` / `\unrestrict` pair uses (pg_dump's is random; any key works). */
export const FORGED_KEY = "ForgedKey0123456789abcdefABCDEF";

/**
 * A dump with pg_dump's framing (header, `\restrict`, the settings pg_dump writes, the completion
 * marker, `\unrestrict`) around `body`, as an attacker who can write the backups folder would make it.
 */
export function pgDumpFraming(body: string): string {
  return `--
-- PostgreSQL database dump
--

\\restrict ${FORGED_KEY}

-- Dumped from database version 15.20
-- Dumped by pg_dump version 15.20

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

${body}
--
-- PostgreSQL database dump complete
--

\\unrestrict ${FORGED_KEY}

`;
}

/**
 * Writes `sql` to `path` (gzip when the name ends in .gz) with a sidecar whose checksum and size
 * match it, signed with TEST_SIGNING_KEY, as a forger holding the key would (`extra.database`
 * names the target database; `signature: null` leaves it unsigned).
 */
export function writeForgedBackup(
  path: string,
  sql: string,
  tables: Record<string, number> = {},
  extra: Record<string, unknown> = {},
): void {
  const gzip = path.endsWith(".gz");
  const bytes = gzip ? gzipSync(sql) : Buffer.from(sql);
  writeFileSync(path, bytes);
  writeFileSync(
    `${path}.json`,
    JSON.stringify({
      format: "lh-ci-backup/1",
      file: path.split("/").at(-1),
      sha256: createHash("sha256").update(bytes).digest("hex"),
      sizeBytes: bytes.length,
      compression: gzip ? "gzip" : "none",
      environment: "staging",
      database: "lawyers_hub_staging",
      serverVersion: "15.20",
      pgDumpVersion: "15.20",
      createdAt: new Date().toISOString(),
      newestMigration: null,
      tables,
      ...extra,
    }),
  );
  if (extra.signature === null) {
    const { signature: _none, ...unsigned } = JSON.parse(readFileSync(`${path}.json`, "utf8"));
    writeFileSync(`${path}.json`, JSON.stringify(unsigned));
  } else if (extra.signature === undefined) {
    resign(path);
  }
}
