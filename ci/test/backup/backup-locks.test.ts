import { randomBytes } from "node:crypto";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { adminQuery, createTestDatabase, withClient } from "../support/database.ts";
import { tempDir } from "../support/temp-dir.ts";
import { filesIn, lhCi } from "./support.ts";

/** Runs `during` while another session, named `application`, holds `table` ACCESS EXCLUSIVE; gives it that session's pid. */
async function whileLockedBy(
  url: string,
  table: string,
  application: string,
  during: (pid: number | undefined) => Promise<void>,
): Promise<void> {
  const holder = new pg.Client({ connectionString: url, application_name: application });
  await holder.connect();
  try {
    await holder.query(`BEGIN; LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
    await during((await holder.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid);
  } finally {
    await holder.end();
  }
}

/** A `_prisma_migrations` table holding these finished migrations. */
function migrationsTable(names: readonly string[]): string {
  return `CREATE TABLE _prisma_migrations (migration_name text, finished_at timestamptz, rolled_back_at timestamptz);
    INSERT INTO _prisma_migrations VALUES ${names.map((name) => `('${name}', now(), NULL)`).join(", ")}`;
}

describe("a backup never hangs on a lock and says what it could not read", async () => {
  const db = await createTestDatabase("lh_backup_locks");
  const cwd = tempDir("lh-backup-locks-");
  const backupsDir = join(cwd, "backups", "staging");
  const role = `lh_backup_reader_${randomBytes(4).toString("hex")}`;
  await withClient(db.url, (client) =>
    client.query(`CREATE TABLE "Held Table" (id int); CREATE TABLE private_notes (body text);
      CREATE ROLE ${role} LOGIN; GRANT SELECT ON "Held Table" TO ${role}`),
  );
  afterAll(async () => {
    await withClient(db.url, (client) => client.query(`DROP OWNED BY ${role}`));
    await adminQuery(`DROP ROLE IF EXISTS ${role}`);
  });

  it("a table held ACCESS EXCLUSIVE by another session: fails after --lock-timeout, naming the table and the session", async () => {
    await whileLockedBy(db.url, '"Held Table"', "lh-test-lock-holder", async (pid) => {
      const result = await lhCi(["backup", "--lock-timeout", "1"], cwd, db.url, {});
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        new RegExp(
          `table public\\."Held Table" stayed locked by another session for more than 1s \\(held by session pid ${pid} \\(user postgres, application lh-test-lock-holder, idle in transaction since .*\\)\\); .*--lock-timeout\\. No backup was written`,
        ),
      );
      expect(filesIn(backupsDir)).toEqual([]);
    });
  });

  it("the migrations table held ACCESS EXCLUSIVE (pg_dump waits for it): fails naming it, and no backup is written", async () => {
    await withClient(db.url, (client) => client.query(migrationsTable(["20260101000000_init"])));
    try {
      await whileLockedBy(db.url, "_prisma_migrations", "lh-test-migrations-holder", async (pid) => {
        const result = await lhCi(["backup", "--lock-timeout", "1"], cwd, db.url, {});
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(
          new RegExp(
            `_prisma_migrations stayed locked by another session for more than 1s \\(.*held by session pid ${pid} .*lh-test-migrations-holder.*\\); .*--lock-timeout\\. No backup was written`,
          ),
        );
        expect(filesIn(backupsDir)).toEqual([]);
      });
    } finally {
      await withClient(db.url, (client) => client.query("DROP TABLE _prisma_migrations"));
    }
    // Once the lock is gone the backup records the newest migration the dump holds.
    await withClient(db.url, (client) => client.query(migrationsTable(["20260101000000_init", "20260202000000_next"])));
    const ok = await lhCi(["backup", "--out", join(cwd, "after-the-lock")], cwd, db.url, {});
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain("newest migration 20260202000000_next");
    await withClient(db.url, (client) => client.query("DROP TABLE _prisma_migrations"));
  });

  it("--lock-timeout must be a whole number of seconds (exit 2)", async () => {
    const result = await lhCi(["backup", "--lock-timeout", "0.5"], cwd, db.url);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--lock-timeout: pass a whole number of seconds between 1 and 86400");
  });

  it("permission denied on a table is reported as that, not as a snapshot failure", async () => {
    const url = new URL(db.url);
    url.username = role;
    const result = await lhCi(["backup"], cwd, url.toString());
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /permission denied: the role in DATABASE_URL may not read table private_notes; grant it SELECT .*No backup was written/,
    );
    expect(result.stderr).not.toMatch(/snapshot/i);
    expect(filesIn(backupsDir)).toEqual([]);
  });
});
