import { randomBytes } from "node:crypto";
import pg from "pg";
import { OperationError } from "../cli/exit-codes.ts";
import { rowCountDifferences } from "../restore/compare-counts.ts";
import { dumpSource } from "../restore/dump-source.ts";
import { psqlRestore, RestoreRolledBack } from "../restore/psql-restore.ts";
import { clientConfig, type PgTarget, withDatabase } from "./connection.ts";
import { type RowCounts, rowCounts } from "./database-facts.ts";
import { isGzipPath } from "./naming.ts";
import type { BackupMetadata } from "./sidecar.ts";

export interface RestoreTestResult {
  scratchDatabase: string;
  tables: RowCounts;
}

/**
 * The only proof that a backup restores: load it into a scratch database on the same server,
 * compare every table's row count with what the sidecar recorded, then drop the scratch database
 * (also when the test fails). Needs the CREATEDB privilege.
 */
export async function restoreTest(
  target: PgTarget,
  path: string,
  metadata: BackupMetadata,
  onBytes?: (total: number) => void,
): Promise<RestoreTestResult> {
  const scratch = `lh_restore_test_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client(clientConfig(target, "lh-ci backup verify"));
  try {
    await admin.connect();
  } catch (error) {
    throw new OperationError(
      `cannot connect to the database ${target.label} for the test restore: ${(error as Error).message}; check DATABASE_URL`,
    );
  }
  try {
    try {
      await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(scratch)}`);
    } catch (error) {
      throw new OperationError(
        `cannot create the scratch database ${scratch}: ${(error as Error).message}; the role in DATABASE_URL needs CREATEDB for --restore-test`,
      );
    }
    try {
      const scratchTarget = withDatabase(target, scratch);
      try {
        await psqlRestore(scratchTarget, dumpSource(path, isGzipPath(path), onBytes));
      } catch (error) {
        if (error instanceof RestoreRolledBack) {
          throw new OperationError(
            `the test restore into ${scratch} failed: ${error.message}; this backup does not restore`,
          );
        }
        throw error;
      }
      const client = new pg.Client(clientConfig(scratchTarget, "lh-ci backup verify"));
      await client.connect();
      const tables = await rowCounts(client).finally(() => client.end());
      const differences = rowCountDifferences(metadata.tables, tables);
      if (differences.length > 0) {
        throw new OperationError(
          `the test restore's row counts differ from the sidecar: ${differences.join("; ")}; this backup does not hold what was recorded`,
        );
      }
      return { scratchDatabase: scratch, tables };
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(scratch)} WITH (FORCE)`);
    }
  } finally {
    await admin.end().catch(() => undefined);
  }
}
