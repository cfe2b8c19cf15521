import { execFileSync } from "node:child_process";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { pgTarget } from "../../src/backup/connection.ts";
import type { BackupMetadata } from "../../src/backup/sidecar.ts";
import { loadBackup, RestoreRolledBack } from "../../src/restore/load-backup.ts";
import { ServerLoad } from "../../src/restore/server-load.ts";
import { createTestDatabase, sessionAlive, withClient } from "../support/database.ts";
import { tempDir } from "../support/temp-dir.ts";
import { resign } from "./forge.ts";
import { databaseFingerprint, lhCi, moveOn, readJson, seededDatabase, takeBackup } from "./support.ts";

/** Row counts by count(*) of every ordinary table outside the system schemas. */
async function countStar(url: string): Promise<Record<string, number>> {
  return withClient(url, async (client) => {
    const tables = await client.query<{ schema: string; table: string }>(
      `SELECT n.nspname AS schema, c.relname AS table FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'`,
    );
    const counts: Record<string, number> = {};
    for (const { schema, table } of tables.rows) {
      const name = `${client.escapeIdentifier(schema)}.${client.escapeIdentifier(table)}`;
      const result = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${name}`);
      counts[`${schema}.${table}`] = Number(result.rows[0]?.n);
    }
    return counts;
  });
}

describe("the restore commits only what proves to match its sidecar, in one read", async () => {
  const db = await seededDatabase("lh_backup_proofs");
  const cwd = tempDir("lh-backup-proofs-");

  it("a dump whose checksum fails only at its very last byte leaves the database exactly as before", async () => {
    const backup = await takeBackup(cwd, db.secretUrl);
    const bytes = readFileSync(backup);
    expect(bytes.at(-1)).toBe(0x0a); // pg_dump ends with an empty line: a space there is still valid SQL
    bytes[bytes.length - 1] = 0x20;
    writeFileSync(backup, bytes);
    await moveOn(db.url);
    const before = await databaseFingerprint(db.url);

    const result = await lhCi(["restore", backup, "--yes", "--allow-superuser"], cwd, db.secretUrl);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /rolled back, so the database is exactly as it was before \(checked: its 5 tables .*\)\. Cause: lawyers_hub_staging_\w+\.sql does not match the sha256 in its sidecar/,
    );
    expect(await databaseFingerprint(db.url)).toEqual(before);
  });

  it("a dump whose COPY row count disagrees with its sidecar is rolled back", async () => {
    const backup = await takeBackup(cwd, db.secretUrl);
    const sidecar = readJson(`${backup}.json`) as { tables: Record<string, number> };
    sidecar.tables["public.users"] = (sidecar.tables["public.users"] ?? 0) + 1;
    writeFileSync(`${backup}.json`, JSON.stringify(sidecar));
    resign(backup); // signed with the key, as if it had leaked: the proofs below must still hold
    await moveOn(db.url);
    const before = await databaseFingerprint(db.url);

    const result = await lhCi(["restore", backup, "--yes", "--allow-superuser"], cwd, db.secretUrl);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /rolled back, so the database is exactly as it was before .* the dump's rows differ from its sidecar: public\.users: 200 rows, the backup recorded 201/,
    );
    expect(await databaseFingerprint(db.url)).toEqual(before);
  });

  it("an unexpected failure after the load (a bug, not a proof) rolls back and closes the connection: nothing changed", async () => {
    const backup = await takeBackup(cwd, db.secretUrl);
    const metadata = readJson(`${backup}.json`) as unknown as BackupMetadata;
    await moveOn(db.url);
    const before = await databaseFingerprint(db.url);
    const session = await ServerLoad.connect(pgTarget(db.url), "lh-ci restore test");
    // The file matches its sidecar; only the row-count comparison at the end throws (not an object).
    const broken = { ...metadata, tables: null as unknown as BackupMetadata["tables"] };

    const failure = await loadBackup(pgTarget(db.url), backup, broken, { session }).catch((error: Error) => error);
    expect(failure).toBeInstanceOf(TypeError);
    expect(failure).not.toBeInstanceOf(RestoreRolledBack);
    expect(await sessionAlive(db.url, session.pid)).toBe(false); // its connection is closed: it is not holding the locks
    expect(await databaseFingerprint(db.url)).toEqual(before);
  });

  it("a FIFO swapped in for the backup after its record was checked is refused at once, not read (it would hang)", async () => {
    const backup = await takeBackup(cwd, db.secretUrl);
    const metadata = readJson(`${backup}.json`) as unknown as BackupMetadata;
    const before = await databaseFingerprint(db.url);
    renameSync(backup, `${backup}.moved`);
    execFileSync("mkfifo", ["--", backup]); // no writer ever opens it: a blocking read would wait forever
    const failure = await loadBackup(pgTarget(db.url), backup, metadata).catch((error: Error) => error);
    expect((failure as Error).message).toMatch(/is not a regular file/);
    expect(await databaseFingerprint(db.url)).toEqual(before);
  });

  it("a restore that commits reports the server's row counts, equal to the sidecar's", async () => {
    const backup = await takeBackup(cwd, db.secretUrl);
    const recorded = (readJson(`${backup}.json`) as { tables: Record<string, number> }).tables;
    await moveOn(db.url);
    const result = await lhCi(["restore", backup, "--yes", "--allow-superuser", "--json"], cwd, db.secretUrl);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "{}");
    expect(report.tables).toEqual(recorded);
    expect(await countStar(db.url)).toEqual(recorded);
  });
});

describe("the sidecar's row counts, taken from the dump's COPY blocks, equal count(*)", async () => {
  const db = await createTestDatabase("lh_backup_counts");
  const cwd = tempDir("lh-backup-counts-");

  it("for empty tables, quoted and mixed-case names, several schemas, and text with newlines and backslashes", async () => {
    await withClient(db.url, (client) =>
      client.query(`
        CREATE TABLE empty_one (id int);
        CREATE TABLE no_columns ();
        CREATE TABLE "Mixed Case" (id serial PRIMARY KEY, "Note" text);
        CREATE SCHEMA "Other Schema";
        CREATE TABLE "Other Schema"."we""ird;name" (body text);
        CREATE SCHEMA second;
        CREATE TABLE second.empty_two (id int);
        CREATE TABLE second.texts (body text);
        INSERT INTO "Mixed Case" ("Note") SELECT 'row ' || i FROM generate_series(1, 37) i;
        INSERT INTO "Other Schema"."we""ird;name" VALUES (E'line one\\nline two'), (E'back\\\\slash'), (E'\\\\.'), (E'tab\\there'), ('');
        INSERT INTO second.texts SELECT E'multi\\nline\\n\\\\.\\n' || i FROM generate_series(1, 12) i;
        INSERT INTO no_columns DEFAULT VALUES;
        INSERT INTO no_columns DEFAULT VALUES;`),
    );
    const expected = await countStar(db.url);
    expect(expected).toEqual({
      "public.empty_one": 0,
      "public.no_columns": 2,
      "public.Mixed Case": 37,
      'Other Schema.we"ird;name': 5,
      "second.empty_two": 0,
      "second.texts": 12,
    });
    for (const args of [[], ["--gzip"]]) {
      const backup = await takeBackup(cwd, db.url, args);
      expect((readJson(`${backup}.json`) as { tables: unknown }).tables).toEqual(expected);
    }

    // And the backup restores to exactly those rows.
    const backup = await takeBackup(cwd, db.url);
    const before = await databaseFingerprint(db.url);
    await withClient(db.url, (client) => client.query('DELETE FROM second.texts; DROP TABLE "Mixed Case"'));
    const result = await lhCi(["restore", backup, "--yes", "--allow-superuser"], cwd, db.url);
    expect(result.stderr).not.toContain("error:");
    expect(result.code).toBe(0);
    expect(await databaseFingerprint(db.url)).toEqual(before);
  });
});
