import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createTestDatabase, withClient } from "../support/database.ts";
import { applyMigrations } from "../support/prisma-migrations.ts";
import { runCli } from "../support/run-cli.ts";
import { tempDir } from "../support/temp-dir.ts";

/** Applied in the database before every case: the schema the pending migration changes. */
const APPLIED: Record<string, string> = {
  "20260101000000_init": `CREATE SCHEMA "archive";
CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
CREATE TABLE "User" ("id" TEXT NOT NULL, "email" TEXT NOT NULL, "name" TEXT, "age" INTEGER,
  "role" "Role" NOT NULL DEFAULT 'USER', CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
CREATE TABLE "Matter" ("id" TEXT NOT NULL, "title" TEXT, "legacy" TEXT, CONSTRAINT "Matter_pkey" PRIMARY KEY ("id"));
`,
  // Destructive, but already applied: check looks only at what is about to be applied.
  "20260102000000_drop_legacy": `ALTER TABLE "Matter" DROP COLUMN "legacy";\n`,
};
const PENDING = "20260201000000_change";
/** Two comment lines before the statement, so the reported line must be 3. */
const HEADER = "-- change of the week\n-- reviewed by nobody\n";

const root = tempDir("lh-migrations-check-");
const database = await createTestDatabase("lh_mig_check");
let counter = 0;

/** A migrations folder: the applied migrations plus one pending migration with this SQL. */
function folder(pendingSql: string): string {
  const dir = join(root, `case-${++counter}`);
  for (const [name, sql] of Object.entries({ ...APPLIED, [PENDING]: pendingSql })) {
    mkdirSync(join(dir, name), { recursive: true });
    writeFileSync(join(dir, name, "migration.sql"), sql);
  }
  return dir;
}

function check(pendingSql: string, args: string[] = []) {
  const dir = folder(pendingSql);
  return runCli(["migrations", "check", "--migrations-dir", dir, ...args], {
    env: { DATABASE_URL: database.url },
    cwd: dir,
  });
}

const FILE = `${PENDING}/migration.sql`;

describe("lh-ci migrations check", () => {
  it("applies the base migrations (setup)", async () => {
    const applied = await withClient(database.url, (client) => applyMigrations(client, folder("SELECT 1;"), 2));
    expect(applied).toEqual(Object.keys(APPLIED));
  });

  const destructive: Array<[string, string, string]> = [
    ["a dropped table", 'DROP TABLE "Matter";', 'drops table Matter: its data is lost\n    DROP TABLE "Matter"'],
    [
      "a dropped column",
      'ALTER TABLE "User" DROP COLUMN "name";',
      'drops column User.name: its data is lost\n    ALTER TABLE "User" DROP COLUMN "name"',
    ],
    ["a dropped schema", 'DROP SCHEMA "archive" CASCADE;', "drops schema archive: its data is lost"],
    ["a dropped type", 'DROP TYPE "Role";', "drops type Role: its data is lost"],
    [
      "a changed column type",
      'ALTER TABLE "User" ALTER COLUMN "age" SET DATA TYPE BIGINT;',
      "changes the type of column User.age",
    ],
    [
      "a renamed column",
      'ALTER TABLE "User" RENAME COLUMN "name" TO "fullName";',
      "renames column User.name to fullName: the running release still uses the old name",
    ],
    ["a renamed table", 'ALTER TABLE "Matter" RENAME TO "Case";', "renames table Matter to Case"],
    [
      "a renamed enum value",
      "ALTER TYPE \"Role\" RENAME VALUE 'USER' TO 'MEMBER';",
      "renames value 'USER' of enum Role",
    ],
    ["a truncate", 'TRUNCATE TABLE "Matter";', "truncates Matter: every row is deleted"],
    ["a DELETE without WHERE", 'DELETE FROM "Matter";', "deletes every row of Matter (no WHERE)"],
    ["an UPDATE without WHERE", 'UPDATE "User" SET "name" = \'anonymous\';', "updates every row of User (no WHERE)"],
    [
      "a NOT NULL column added without a default",
      'ALTER TABLE "Matter" ADD COLUMN "ownerId" TEXT NOT NULL;',
      "adds NOT NULL column Matter.ownerId without a default: fails when Matter has rows",
    ],
    [
      "an existing column made NOT NULL",
      'ALTER TABLE "User" ALTER COLUMN "name" SET NOT NULL;',
      "makes existing column User.name NOT NULL",
    ],
  ];
  for (const [what, sql, message] of destructive) {
    it(`refuses ${what}, naming file, line and statement`, async () => {
      const result = await check(`${HEADER}${sql}\n`);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`error: ${FILE}:3: ${message}`);
      expect(result.stderr).toContain("refusing 1 destructive change(s)");
      expect(result.stdout).toContain(`1 pending migration(s): ${PENDING}`);
    });
  }

  it("accepts additive migrations: new table, nullable column, column with default, index, foreign key", async () => {
    const result = await check(`${HEADER}CREATE TABLE "Note" ("id" TEXT NOT NULL, "matterId" TEXT NOT NULL, "body" TEXT,
  CONSTRAINT "Note_pkey" PRIMARY KEY ("id"));
ALTER TABLE "Note" ADD COLUMN "pinned" BOOLEAN NOT NULL;
ALTER TABLE "Note" ALTER COLUMN "body" SET NOT NULL;
ALTER TABLE "Matter" ADD COLUMN "description" TEXT;
ALTER TABLE "Matter" ADD COLUMN "status" TEXT NOT NULL DEFAULT 'open';
CREATE INDEX "Note_matterId_idx" ON "Note"("matterId");
ALTER TABLE "Note" ADD CONSTRAINT "Note_matterId_fkey" FOREIGN KEY ("matterId") REFERENCES "Matter"("id") ON DELETE CASCADE;
ALTER INDEX "Note_matterId_idx" RENAME TO "Note_matter_idx";
DELETE FROM "Matter" WHERE "title" IS NULL;
UPDATE "User" SET "name" = 'x' WHERE "name" = '';
`);
    expect(result.stderr).not.toContain("error:");
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("no destructive change in the pending migrations");
  });

  it("reports each item of Prisma's Warnings header", async () => {
    const result = await check(`/*
  Warnings:

  - You are about to drop the column \`age\` on the \`User\` table. All the data in the column will be lost.

*/
-- AlterTable
ALTER TABLE "User" DROP COLUMN "age";
`);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `error: ${FILE}:4: Prisma warns: You are about to drop the column \`age\` on the \`User\` table.`,
    );
    expect(result.stderr).toContain(`error: ${FILE}:8: drops column User.age`);
  });

  it("reports a -- Warnings: header written as line comments", async () => {
    const result = await check(`-- Warnings:
-- - Added the required column \`ownerId\` to the \`Matter\` table without a default value.
ALTER TABLE "Matter" ADD COLUMN "ownerId" TEXT NOT NULL;
`);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: ${FILE}:2: Prisma warns: Added the required column \`ownerId\``);
  });

  it("is not fooled by a DROP inside a comment or a string", async () => {
    const result = await check(
      `-- DROP TABLE "Matter";\n/* TRUNCATE "User"; */\nINSERT INTO "Matter" ("id", "title") VALUES ('1', 'DROP TABLE "User"');\n`,
    );
    expect(result.code).toBe(0);
  });

  it("passes with --allow-destructive, reporting the statements as warnings", async () => {
    const result = await check(`${HEADER}DROP TABLE "Matter";\n`, ["--allow-destructive"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`warning: ${FILE}:3: drops table Matter`);
    expect(result.stderr).toContain("allowed 1 destructive change(s) (--allow-destructive)");
  });

  it("refuses a migration it cannot parse", async () => {
    const result = await check("CREATE TABEL oops;\n");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `error: ${FILE}:1: cannot be parsed as PostgreSQL (syntax error at or near "TABEL")`,
    );
  });

  it("lists findings as JSON with --json", async () => {
    const result = await check(`${HEADER}TRUNCATE "Matter";\n`, ["--json"]);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({
      pending: [PENDING],
      findings: [{ kind: "truncate", file: FILE, line: 3, statement: 'TRUNCATE "Matter"' }],
    });
  });
});
