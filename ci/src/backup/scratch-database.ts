import { randomBytes } from "node:crypto";
import pg from "pg";
import { OperationError } from "../cli/exit-codes.ts";
import { restoreTestDatabase } from "../roles/app-role-sql.ts";
import { clientConfig, type PgTarget, withDatabase } from "./connection.ts";

/** A database a test restore may load into, and how to be rid of what it loaded. */
export interface ScratchDatabase {
  name: string;
  target: PgTarget;
  /** Drops a database made for this test; empties the prepared one (no copy of the data stays). */
  discard(): Promise<void>;
}

/**
 * A fresh database when the role may create one (CREATEDB); else the one the deploy's database
 * role step prepared for the application role (NOCREATEDB: `<database>_restore_test`, owned by
 * it), emptied before the load. `admin` is connected to the target's database.
 */
export async function scratchDatabase(admin: pg.Client, target: PgTarget): Promise<ScratchDatabase> {
  const fresh = `lh_restore_test_${randomBytes(4).toString("hex")}`;
  try {
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(fresh)}`);
    return {
      name: fresh,
      target: withDatabase(target, fresh),
      discard: async () => {
        await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(fresh)} WITH (FORCE)`);
      },
    };
  } catch (error) {
    if ((error as { code?: string }).code !== "42501") {
      throw new OperationError(`cannot create the scratch database ${fresh}: ${(error as Error).message}`);
    }
  }
  const prepared = restoreTestDatabase(target.database);
  const { rows } = await admin.query<{ owned: boolean }>(
    "SELECT datdba = (SELECT oid FROM pg_roles WHERE rolname = current_user) AS owned FROM pg_database WHERE datname = $1",
    [prepared],
  );
  if (rows[0]?.owned !== true) {
    throw new OperationError(
      `the role in DATABASE_URL may not create a scratch database (NOCREATEDB) and owns no ${prepared}; deploy (or lh-ci stack database-role) prepares it, or give the role CREATEDB`,
    );
  }
  const scratch = withDatabase(target, prepared);
  await emptyDatabase(scratch);
  return { name: prepared, target: scratch, discard: () => emptyDatabase(scratch) };
}

/**
 * Drops every schema the role owns there (public too: pg_database_owner's, that is the database
 * owner's, on a fresh database), with everything in them, and makes
 * public again: the database is as a fresh one. Other sessions on it are ended first (a test
 * restore that was killed half-way may have left one).
 */
async function emptyDatabase(target: PgTarget): Promise<void> {
  const client = new pg.Client(clientConfig(target, "lh-ci backup verify"));
  client.on("error", () => undefined);
  await client.connect();
  try {
    await client.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid() AND usename = current_user`,
    );
    const { rows } = await client.query<{ name: string }>(
      `SELECT nspname AS name FROM pg_namespace
       WHERE nspowner IN (SELECT oid FROM pg_roles WHERE rolname IN (current_user, 'pg_database_owner'))
         AND nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%'`,
    );
    const drops = rows.map((row) => `DROP SCHEMA ${client.escapeIdentifier(row.name)} CASCADE;`).join("\n");
    await client.query(`BEGIN; ${drops} CREATE SCHEMA IF NOT EXISTS public; COMMIT;`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
