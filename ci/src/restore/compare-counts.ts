import type { RowCounts } from "../backup/database-facts.ts";

/** One line per table whose row count differs from the backup's record (missing tables included). */
export function rowCountDifferences(expected: RowCounts, actual: RowCounts): string[] {
  const tables = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  const differences: string[] = [];
  for (const table of tables) {
    const want = expected[table];
    const got = actual[table];
    if (want === got) continue;
    if (want === undefined) differences.push(`${table}: not in the backup's record but present (${got} rows)`);
    else if (got === undefined) differences.push(`${table}: missing (the backup recorded ${want} rows)`);
    else differences.push(`${table}: ${got} rows, the backup recorded ${want}`);
  }
  return differences;
}
