import { describe, expect, it } from "vitest";
import { adminQuery, withClient } from "../support/database.ts";
import { tempDir } from "../support/temp-dir.ts";
import { expectNoSecret, filesIn, lhCi, seededDatabase } from "./support.ts";

/**
 * A kind of object restore refuses is refused by the backup already, naming the statement and why:
 * no backup is written that a restore would later refuse. Real objects in a real database, as
 * pg_dump writes them.
 */
const READER_ROLE =
  "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lh_refused_reader') THEN CREATE ROLE lh_refused_reader; END IF; END$$";

const CASES: Array<{ kind: string; sql: string; refusal: RegExp }> = [
  {
    kind: "a privilege changed on a system object",
    sql: "REVOKE EXECUTE ON FUNCTION pg_catalog.now() FROM PUBLIC",
    refusal:
      /"REVOKE ALL ON FUNCTION pg_catalog\.now\(\) FROM PUBLIC;": it creates or changes an object in the system schema pg_catalog/,
  },
  {
    kind: "a privilege on a procedural language",
    sql: "GRANT USAGE ON LANGUAGE plpgsql TO lh_refused_reader",
    refusal:
      /"GRANT ALL ON LANGUAGE plpgsql TO lh_refused_reader;": GRANT on a language: privileges pass only on the objects a dump creates/,
  },
  {
    kind: "default privileges",
    sql: "ALTER DEFAULT PRIVILEGES IN SCHEMA audit GRANT SELECT ON TABLES TO lh_refused_reader",
    refusal:
      /"ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA audit GRANT SELECT ON TA\.\.\.": default privileges are a role's rule/,
  },
  {
    kind: "a foreign server",
    sql: "CREATE EXTENSION postgres_fdw; CREATE SERVER lh_elsewhere FOREIGN DATA WRAPPER postgres_fdw OPTIONS (dbname 'postgres')",
    refusal:
      /"CREATE SERVER lh_elsewhere FOREIGN DATA WRAPPER postgres_fdw OPTIONS \( dbname\.\.\.": CREATE FOREIGN SERVER: it reaches another database or server/,
  },
];

describe("backup refuses, with the reason, what restore would refuse", () => {
  for (const { kind, sql, refusal } of CASES) {
    it(`${kind}: no backup is written, and the statement and the reason are named`, async () => {
      const db = await seededDatabase("lh_backup_refused");
      const cwd = tempDir("lh-backup-refused-");
      await adminQuery(READER_ROLE);
      await withClient(db.url, (client) => client.query(sql));
      const result = await lhCi(["backup", "--out", cwd], cwd, db.secretUrl);
      expect(result.stderr).toMatch(
        /the database holds something restore refuses, so this backup could never be restored: line \d+: /,
      );
      expect(result.stderr).toMatch(refusal);
      expect(result.stderr).toMatch(/No backup was written/);
      expect(result.code).toBe(1);
      expect(filesIn(cwd)).toEqual([]);
      expectNoSecret(result.stdout, result.stderr);
    });
  }

  it("the same database without the refused object backs up", async () => {
    const db = await seededDatabase("lh_backup_refused");
    const cwd = tempDir("lh-backup-refused-");
    await adminQuery(READER_ROLE);
    await withClient(db.url, (client) =>
      client.query(
        "GRANT USAGE ON SCHEMA audit TO lh_refused_reader; GRANT SELECT ON audit.events TO lh_refused_reader",
      ),
    );
    const result = await lhCi(["backup", "--out", cwd], cwd, db.secretUrl);
    expect(result.code, result.stderr).toBe(0);
    expect(filesIn(cwd).length).toBe(2); // the backup and its sidecar
  });
});
