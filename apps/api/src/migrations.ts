import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { HealthIndicatorResult, HealthIndicatorService } from "@nestjs/terminus";
import type { PrismaClient } from "./generated/prisma/client.ts";

/** The migrations of a Prisma migrations folder: the folder names that hold a migration.sql. */
export function migrationNames(dir: string): string[] {
  if (!existsSync(dir)) {
    throw new Error(`migrations folder ${dir} does not exist; set MIGRATIONS_DIR to the api's prisma/migrations`);
  }
  return readdirSync(dir)
    .filter((entry) => existsSync(join(dir, entry, "migration.sql")))
    .sort();
}

interface MigrationRow {
  migration_name: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/**
 * Ready only when every migration the code expects is recorded as applied in `_prisma_migrations`:
 * an api running ahead of its schema would fail on its first query.
 */
export function migrationsIndicator(
  indicators: HealthIndicatorService,
  prisma: PrismaClient,
  expected: string[],
  timeoutMs: number,
): () => PromiseLike<HealthIndicatorResult> {
  return () =>
    indicators
      .check("migrations")
      .attempt(async () => {
        const rows = await appliedMigrations(prisma);
        const failed = rows.filter((row) => !row.finished_at && !row.rolled_back_at).map((row) => row.migration_name);
        if (failed.length > 0) {
          throw new Error(
            `failed migration(s) ${failed.join(", ")}; resolve them (prisma migrate resolve) and redeploy`,
          );
        }
        const applied = new Set(
          rows.filter((row) => row.finished_at && !row.rolled_back_at).map((r) => r.migration_name),
        );
        const pending = expected.filter((name) => !applied.has(name));
        if (pending.length > 0) {
          throw new Error(`${pending.length} pending: ${pending.join(", ")}; run prisma migrate deploy`);
        }
      })
      .withTimeout(timeoutMs);
}

async function appliedMigrations(prisma: PrismaClient): Promise<MigrationRow[]> {
  try {
    return await prisma.$queryRaw<
      MigrationRow[]
    >`SELECT migration_name, finished_at, rolled_back_at FROM _prisma_migrations`;
  } catch (error) {
    // PostgreSQL's undefined_table, as Prisma's driver adapter reports it.
    if (/42P01|_prisma_migrations" does not exist/.test(String((error as Error).message))) {
      throw new Error("no migration has been applied (_prisma_migrations is missing); run prisma migrate deploy");
    }
    throw error;
  }
}
