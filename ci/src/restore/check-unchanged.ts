import type pg from "pg";
import { type RowCounts, rowCounts } from "../backup/database-facts.ts";
import { rowCountDifferences } from "./compare-counts.ts";

/**
 * After a failed restore: are the database's tables and their row counts still those the safety
 * backup recorded a moment before? Returns the differences (empty when it is as it was).
 */
export async function differencesFromSafetyBackup(client: pg.Client, recorded: RowCounts): Promise<string[]> {
  return rowCountDifferences(recorded, await rowCounts(client));
}
