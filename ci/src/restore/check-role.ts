import pg from "pg";
import { clientConfig, type PgTarget } from "../backup/connection.ts";
import { OperationError } from "../cli/exit-codes.ts";

/**
 * A restore runs as the application role, which owns the database: a superuser could load what
 * the statement policy lets through with powers the application never has, and would leave what it
 * creates owned by itself, out of the application's reach. Asked before anything changes.
 * Returns the role's name and whether it is a superuser (allowed: `--allow-superuser`).
 */
export async function checkRestoreRole(
  target: PgTarget,
  allowSuperuser: boolean,
): Promise<{ role: string; superuser: boolean }> {
  const client = new pg.Client(clientConfig(target, "lh-ci restore"));
  let row: { role: string; superuser: boolean } | undefined;
  try {
    await client.connect();
    const result = await client.query<{ role: string; superuser: boolean }>(
      "SELECT current_user AS role, rolsuper AS superuser FROM pg_roles WHERE rolname = current_user",
    );
    row = result.rows[0];
  } catch (error) {
    throw new OperationError(
      `cannot reach the database ${target.label}: ${(error as Error).message}; check DATABASE_URL (host, port, user, password) and that the server is up. Nothing was changed`,
    );
  } finally {
    await client.end().catch(() => {});
  }
  if (!row) throw new OperationError("cannot read the role DATABASE_URL connects as; nothing was changed");
  if (row.superuser && !allowSuperuser) {
    throw new OperationError(
      `DATABASE_URL connects as ${row.role}, a SUPERUSER: restore runs as the application role that owns the database (the deploy creates it; see .env.staging.example). Nothing was changed. To restore as this superuser anyway, pass --allow-superuser`,
    );
  }
  return row;
}
