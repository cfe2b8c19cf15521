import { fileURLToPath } from "node:url";
import { createTestDatabase, withClient } from "../../../ci/test/support/database.ts";
import { applyMigrations } from "../../../ci/test/support/prisma-migrations.ts";

export const API_MIGRATIONS = fileURLToPath(new URL("../../api/prisma/migrations/", import.meta.url));

/**
 * A database of its own for one test file with the api's migrations applied and recorded in
 * `_prisma_migrations` as `prisma migrate deploy` records them; `limit` leaves the rest pending.
 */
export async function migratedDatabase(limit?: number): Promise<{ name: string; url: string }> {
  const database = await createTestDatabase("lh_apps");
  await withClient(database.url, (client) => applyMigrations(client, API_MIGRATIONS, limit));
  return database;
}
