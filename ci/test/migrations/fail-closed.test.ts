import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createTestDatabase, withClient } from "../support/database.ts";
import { applyMigrations } from "../support/prisma-migrations.ts";
import { runCli } from "../support/run-cli.ts";
import { tempDir } from "../support/temp-dir.ts";

/** The schema already applied in the real database; every case's migrations are pending on top of it. */
const INIT = `CREATE SCHEMA "archive";
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
CREATE TABLE "User" ("id" TEXT PRIMARY KEY, "name" TEXT, "age" INTEGER, "role" "Role" NOT NULL DEFAULT 'USER');
CREATE TABLE "Matter" ("id" TEXT PRIMARY KEY, "title" TEXT);
`;
const INIT_NAME = "20260101000000_init";

const root = tempDir("lh-migrations-fail-closed-");
const database = await createTestDatabase("lh_mig_closed");
let counter = 0;

/** A folder with the applied init migration and the given pending migrations, in order. */
function folder(pending: string[]): string {
  const dir = join(root, `case-${++counter}`);
  const all = [[INIT_NAME, INIT], ...pending.map((sql, index) => [`2026020${index + 1}000000_change`, sql])];
  for (const [name, sql] of all) {
    mkdirSync(join(dir, String(name)), { recursive: true });
    writeFileSync(join(dir, String(name), "migration.sql"), String(sql));
  }
  return dir;
}

function check(...pending: string[]) {
  const dir = folder(pending);
  return runCli(["migrations", "check", "--migrations-dir", dir], { env: { DATABASE_URL: database.url }, cwd: dir });
}

describe("lh-ci migrations check fails closed", () => {
  it("applies the init migration to the real database (setup)", async () => {
    const applied = await withClient(database.url, (client) => applyMigrations(client, folder([]), 1));
    expect(applied).toEqual([INIT_NAME]);
  });

  const refused: Array<[string, string, string]> = [
    [
      "a data-modifying CTE",
      'WITH gone AS (DELETE FROM "Matter" RETURNING *) SELECT count(*) FROM gone;',
      "deletes every row of Matter (no WHERE)",
    ],
    ["PREPARE ... AS DELETE; EXECUTE", 'PREPARE p AS DELETE FROM "Matter";\nEXECUTE p;', "deletes every row of Matter"],
    ["EXPLAIN ANALYZE DELETE", 'EXPLAIN ANALYZE DELETE FROM "Matter";', "deletes every row of Matter"],
    [
      "COPY (DELETE ... RETURNING *) TO STDOUT",
      'COPY (DELETE FROM "Matter" RETURNING *) TO STDOUT;',
      "deletes every row of Matter",
    ],
    [
      "DELETE ... WHERE true",
      'DELETE FROM "Matter" WHERE true;',
      "deletes every row of Matter: its WHERE does not depend on the row",
    ],
    ["UPDATE ... WHERE 1 = 1", 'UPDATE "User" SET "name" = NULL WHERE 1 = 1;', "updates every row of User"],
    [
      "a condition comparing a column with itself",
      'DELETE FROM "Matter" m WHERE m."id" = m."id";',
      "deletes every row of Matter: its WHERE compares an expression with itself",
    ],
    [
      "a condition ORed with a constant",
      'DELETE FROM "Matter" WHERE "title" = \'x\' OR 2 > 1;',
      "deletes every row of Matter: its WHERE has an OR arm that does not depend on the row",
    ],
    [
      "IS NULL OR IS NOT NULL",
      'DELETE FROM "Matter" WHERE "title" IS NULL OR "title" IS NOT NULL;',
      "deletes every row of Matter: its WHERE tests IS NULL and IS NOT NULL",
    ],
    [
      "(x = x) IS TRUE",
      'DELETE FROM "Matter" WHERE ("id" = "id") IS TRUE;',
      "deletes every row of Matter: its WHERE compares an expression with itself",
    ],
    [
      "NOT (x <> x)",
      'UPDATE "User" SET "name" = NULL WHERE NOT ("id" <> "id");',
      "updates every row of User: its WHERE compares an expression with itself",
    ],
    [
      "x IN (x)",
      'DELETE FROM "Matter" WHERE "id" IN ("id");',
      "deletes every row of Matter: its WHERE tests an expression IN a list that holds it",
    ],
    [
      "x BETWEEN x AND x",
      'DELETE FROM "Matter" WHERE "id" BETWEEN "id" AND "id";',
      "deletes every row of Matter: its WHERE tests an expression BETWEEN itself and itself",
    ],
    [
      "NOT (x AND false)",
      'DELETE FROM "Matter" WHERE NOT ("title" = \'x\' AND 1 = 2);',
      "deletes every row of Matter: its WHERE has an AND arm that does not depend on the row",
    ],
    [
      "ALTER TABLE ... SET UNLOGGED",
      'ALTER TABLE "Matter" SET UNLOGGED;',
      "makes table Matter UNLOGGED: a crash of the server empties it",
    ],
    [
      "ALTER SEQUENCE ... RESTART",
      'ALTER SEQUENCE "Matter_seq" RESTART;',
      "restarts sequence Matter_seq: the next ids it hands out may already exist",
    ],
    [
      "ALTER TABLE ... DETACH PARTITION",
      'ALTER TABLE "Matter" DETACH PARTITION "Matter_2025";',
      "detaches partition Matter_2025 from Matter: its rows vanish from Matter",
    ],
    ["DROP OWNED", "DROP OWNED BY CURRENT_USER;", "drops every object owned by"],
    [
      "DROP EXTENSION ... CASCADE",
      "DROP EXTENSION pgcrypto CASCADE;",
      "drops extension pgcrypto with CASCADE: every object that depends on it goes too",
    ],
    [
      "ALTER TABLE ... SET SCHEMA",
      'ALTER TABLE "Matter" SET SCHEMA "archive";',
      "moves table Matter to schema archive: the running release still looks for it where it was",
    ],
    ["ALTER TYPE ... SET SCHEMA", 'ALTER TYPE "Role" SET SCHEMA "archive";', "moves type Role to schema archive"],
    ["a DO block", "DO $$ BEGIN EXECUTE format('DROP TABLE %I', 'Matter'); END $$;", "cannot be checked: DO block"],
    [
      "a function body",
      'CREATE FUNCTION wipe() RETURNS void LANGUAGE sql AS $$ DELETE FROM "Matter" $$;',
      "cannot be checked: function wipe: its body is code",
    ],
    [
      "a procedure body",
      'CREATE PROCEDURE wipe() LANGUAGE sql AS $$ DELETE FROM "Matter" $$;',
      "cannot be checked: procedure wipe",
    ],
    [
      "a trigger",
      'CREATE TRIGGER t AFTER INSERT ON "User" FOR EACH ROW EXECUTE FUNCTION wipe();',
      "cannot be checked: trigger t on User: it runs function wipe",
    ],
    [
      "a rule",
      'CREATE RULE r AS ON INSERT TO "User" DO ALSO DELETE FROM "Matter";',
      "cannot be checked: rule r on User",
    ],
    [
      "a call to a function the schema defines",
      "SELECT wipe();",
      "cannot be checked: calls wipe(), whose body is code",
    ],
    ["COPY ... FROM PROGRAM", "COPY \"Matter\" FROM PROGRAM 'id';", "cannot be checked: COPY ... PROGRAM"],
    ["SET search_path", 'SET search_path = "archive";', "cannot be checked: SET search_path"],
    [
      "an EXECUTE of a statement prepared elsewhere",
      "EXECUTE prepared_before;",
      "cannot be checked: EXECUTE prepared_before",
    ],
    ["a statement kind it does not know", "ALTER EXTENSION pgcrypto UPDATE;", "cannot be checked: AlterExtension"],
  ];
  for (const [what, sql, message] of refused) {
    it(`refuses ${what}, naming the statement`, async () => {
      const result = await check(`-- data fix\n${sql}\n`);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`error: 20260201000000_change/migration.sql:2: ${message}`);
      expect(result.stderr).toContain(`\n    ${sql.split("\n")[0]?.replace(/;$/, "").slice(0, 60)}`);
    });
  }

  it("CREATE TABLE IF NOT EXISTS on an existing table does not hide a later DROP COLUMN", async () => {
    const result = await check(
      'CREATE TABLE IF NOT EXISTS "Matter" ("id" TEXT);\nALTER TABLE "Matter" DROP COLUMN "title";\n',
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: 20260201000000_change/migration.sql:2: drops column Matter.title");
  });

  it("CREATE TABLE IF NOT EXISTS does not hide a later migration's type change", async () => {
    const result = await check(
      'CREATE TABLE IF NOT EXISTS "User" ("id" TEXT PRIMARY KEY);\n',
      'ALTER TABLE public."User" ALTER COLUMN "age" TYPE TEXT;\n',
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "error: 20260202000000_change/migration.sql:1: changes the type of column public.User.age",
    );
  });

  it("a table created after SET search_path does not count as new", async () => {
    const result = await check(
      'SET search_path = "archive";\nCREATE TABLE "User" ("id" TEXT);\nRESET search_path;\nALTER TABLE "User" DROP COLUMN "name";\n',
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(":4: drops column User.name");
  });

  it("still allows real changes: a new table's own columns, row-dependent DELETE and UPDATE, built-in functions", async () => {
    const result =
      await check(`CREATE TABLE "Note" ("id" TEXT PRIMARY KEY, "body" TEXT, "created" TIMESTAMPTZ DEFAULT now());
ALTER TABLE "Note" DROP COLUMN "body";
ALTER TABLE "Matter" ADD COLUMN "slug" TEXT DEFAULT gen_random_uuid()::text;
DELETE FROM "Matter" WHERE "title" IS NULL;
UPDATE "User" SET "name" = lower("name") WHERE "name" <> lower("name");
DELETE FROM "Matter" m USING "User" u WHERE m."id" = u."id";
WITH stale AS (SELECT "id" FROM "Matter" WHERE "title" = '') DELETE FROM "Matter" WHERE "id" IN (SELECT "id" FROM stale);
SET lock_timeout = '5s';
DELETE FROM "Matter" WHERE "id" IN ('a', 'b') AND "title" BETWEEN 'a' AND 'm';
UPDATE "User" SET "age" = 0 WHERE ("age" < 0) IS TRUE OR NOT ("name" <> 'x');
CREATE SEQUENCE "note_seq";
ALTER SEQUENCE "note_seq" RESTART WITH 10;
ALTER SEQUENCE "note_seq" INCREMENT BY 2;
`);
    expect(result.stderr).not.toContain("error:");
    expect(result.code).toBe(0);
  });
});
