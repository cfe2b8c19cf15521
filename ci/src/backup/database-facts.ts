import type pg from "pg";

/** Row counts per table, keyed `schema.table`, as pg_dump would dump them. */
export type RowCounts = Record<string, number>;

/**
 * Ordinary tables outside the system schemas that pg_dump dumps the data of: tables that belong
 * to an extension are recreated by CREATE EXTENSION, not by the dump.
 */
const DUMPED_TABLES = `
  SELECT n.nspname AS schema, c.relname AS table
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'r'
    AND n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
    AND NOT EXISTS (
      SELECT 1 FROM pg_depend d
      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
  ORDER BY 1, 2`;

export async function rowCounts(client: pg.Client): Promise<RowCounts> {
  const tables = (await client.query<{ schema: string; table: string }>(DUMPED_TABLES)).rows;
  if (tables.length === 0) return {};
  // One round trip for every table.
  const sql = tables
    .map(
      ({ schema, table }, index) =>
        `SELECT ${index} AS i, count(*) AS n FROM ${client.escapeIdentifier(schema)}.${client.escapeIdentifier(table)}`,
    )
    .join(" UNION ALL ");
  const counts: RowCounts = {};
  for (const row of (await client.query<{ i: number; n: string }>(sql)).rows) {
    const table = tables[row.i];
    if (table) counts[`${table.schema}.${table.table}`] = Number(row.n);
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * The newest migration Prisma finished applying (by name: Prisma names them by timestamp and
 * applies them in that order), or null when the database has no `_prisma_migrations` table.
 */
export async function newestMigration(client: pg.Client): Promise<string | null> {
  const located = await client.query<{ schema: string }>(
    `SELECT n.nspname AS schema FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relname = '_prisma_migrations' AND c.relkind = 'r'
     ORDER BY (n.nspname = 'public') DESC, n.nspname LIMIT 1`,
  );
  const schema = located.rows[0]?.schema;
  if (schema === undefined) return null;
  const result = await client.query<{ migration_name: string }>(
    `SELECT migration_name FROM ${client.escapeIdentifier(schema)}._prisma_migrations
     WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name DESC LIMIT 1`,
  );
  return result.rows[0]?.migration_name ?? null;
}
