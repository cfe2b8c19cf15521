/**
 * Test fixture, not Prisma: stands in for `npx prisma migrate deploy` in the e2e, whose build host
 * cannot download Prisma's schema engine. Mounted into the api image as the `migrate` one-shot.
 *
 * It does what every toolkit command later observes of Prisma: creates `_prisma_migrations` as
 * Prisma does, refuses to go on past a failed migration (Prisma's P3009), and applies each pending
 * `migration.sql` (folder order) in its own transaction, recording id, sha256 checksum, name,
 * started_at, finished_at and applied_steps_count = 1; a migration that fails keeps its row with
 * finished_at NULL and the error in `logs`, and the command exits 1.
 */
import { createHash, randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";

const MIGRATIONS_DIR = process.env.MIGRATIONS_DIR ?? "prisma/migrations";
const DDL = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
await client.connect();
try {
  await client.query(DDL);
  const failed = await client.query<{ migration_name: string }>(
    `SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NULL AND rolled_back_at IS NULL`,
  );
  if (failed.rows.length > 0) {
    console.error(
      `Error: P3009 migrate found failed migrations: ${failed.rows.map((r) => r.migration_name).join(", ")}`,
    );
    process.exit(1);
  }
  const applied = new Set(
    (
      await client.query<{ migration_name: string }>(
        `SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
      )
    ).rows.map((row) => row.migration_name),
  );
  const names = readdirSync(MIGRATIONS_DIR)
    .filter((entry) => existsSync(join(MIGRATIONS_DIR, entry, "migration.sql")))
    .sort();
  console.log(`${names.length} migrations found in ${MIGRATIONS_DIR} (stand-in for prisma migrate deploy)`);
  let count = 0;
  for (const name of names) {
    if (applied.has(name)) continue;
    const sql = readFileSync(join(MIGRATIONS_DIR, name, "migration.sql"));
    const id = randomUUID();
    const checksum = createHash("sha256").update(sql).digest("hex");
    await client.query(
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())`,
      [id, checksum, name],
    );
    try {
      await client.query("BEGIN");
      await client.query(sql.toString("utf8"));
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK");
      await client.query(`UPDATE _prisma_migrations SET logs = $2 WHERE id = $1`, [id, String(error)]);
      console.error(`Error: migration ${name} failed: ${(error as Error).message}`);
      process.exit(1);
    }
    await client.query(`UPDATE _prisma_migrations SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`, [
      id,
    ]);
    console.log(`Applying migration \`${name}\``);
    count += 1;
  }
  console.log(
    count === 0 ? "No pending migrations to apply." : `All migrations have been successfully applied (${count}).`,
  );
} finally {
  await client.end();
}
