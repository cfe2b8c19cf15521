import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { ReadinessCheck } from "@lawyers-hub/service-kit";
import type pg from "pg";

/** The migrations of a Prisma migrations folder: the folder names that hold a migration.sql. */
export function migrationNames(dir: string): string[] {
  if (!existsSync(dir)) {
    throw new Error(`migrations folder ${dir} does not exist; set MIGRATIONS_DIR to the api's prisma/migrations`);
  }
  return readdirSync(dir)
    .filter((entry) => existsSync(join(dir, entry, "migration.sql")))
    .sort();
}

/**
 * Ready only when every migration the code expects is recorded as applied in `_prisma_migrations`:
 * an api running ahead of its schema would fail on its first query.
 */
export function migrationsCheck(pool: pg.Pool, expected: string[]): ReadinessCheck {
  return {
    name: "migrations",
    check: async () => {
      let rows: Array<{ migration_name: string; finished_at: Date | null; rolled_back_at: Date | null }>;
      try {
        rows = (await pool.query("SELECT migration_name, finished_at, rolled_back_at FROM _prisma_migrations")).rows;
      } catch (error) {
        if ((error as { code?: string }).code === "42P01") {
          throw new Error("no migration has been applied (_prisma_migrations is missing); run prisma migrate deploy");
        }
        throw error;
      }
      const failed = rows.filter((row) => !row.finished_at && !row.rolled_back_at).map((row) => row.migration_name);
      if (failed.length > 0) {
        throw new Error(`failed migration(s) ${failed.join(", ")}; resolve them (prisma migrate resolve) and redeploy`);
      }
      const applied = new Set(
        rows.filter((row) => row.finished_at && !row.rolled_back_at).map((r) => r.migration_name),
      );
      const pending = expected.filter((name) => !applied.has(name));
      if (pending.length > 0) {
        throw new Error(`${pending.length} pending: ${pending.join(", ")}; run prisma migrate deploy`);
      }
    },
  };
}
