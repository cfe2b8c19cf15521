import { randomUUID } from "node:crypto";
import type pg from "pg";
import { readMigrationsFolder } from "../../src/migrations/folder.ts";

/** The table Prisma Migrate keeps its history in, exactly as `prisma migrate deploy` creates it. */
export const PRISMA_MIGRATIONS_DDL = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

/**
 * Applies the migrations of a Prisma migrations folder and records each in `_prisma_migrations`
 * the way `prisma migrate deploy` does (Prisma's engines cannot be downloaded on our machines).
 * `limit` applies only the first N, to leave the rest pending.
 */
export async function applyMigrations(client: pg.Client, dir: string, limit?: number): Promise<string[]> {
  await client.query(PRISMA_MIGRATIONS_DDL);
  const applied = new Set(
    (
      await client.query<{ migration_name: string }>(
        `SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
      )
    ).rows.map((row) => row.migration_name),
  );
  const names: string[] = [];
  for (const migration of readMigrationsFolder(dir).slice(0, limit)) {
    if (applied.has(migration.name)) continue;
    const id = randomUUID();
    await client.query(
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())`,
      [id, migration.checksum, migration.name],
    );
    await client.query(migration.sql);
    await client.query(`UPDATE _prisma_migrations SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`, [
      id,
    ]);
    names.push(migration.name);
  }
  return names;
}
