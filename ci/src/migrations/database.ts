import pg from "pg";
import { readMigrationsFolder } from "./folder.ts";
import { type MigrationStatus, migrationStatuses, readMigrationRows } from "./state.ts";

/** The default migrations folder, relative to the repository root (the ops image's working directory). */
export const DEFAULT_MIGRATIONS_DIR = "apps/api/prisma/migrations";

export interface DatabaseMigrations {
  statuses: MigrationStatus[];
  /** False when `_prisma_migrations` does not exist yet. */
  tableExists: boolean;
}

/** Compares a migrations folder with a database's `_prisma_migrations`. */
export async function inspectMigrations(
  databaseUrl: string,
  dir: string,
  options: { connectTimeoutMs?: number } = {},
): Promise<DatabaseMigrations> {
  const files = readMigrationsFolder(dir);
  const client = new pg.Client({
    connectionString: databaseUrl,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
  });
  await client.connect();
  try {
    const rows = await readMigrationRows(client);
    return { statuses: migrationStatuses(files, rows), tableExists: rows !== undefined };
  } finally {
    await client.end().catch(() => undefined);
  }
}
