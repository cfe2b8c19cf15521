import pg from "pg";
import { OperationError } from "../cli/exit-codes.ts";
import { loadBackup, RestoreRolledBack } from "../restore/load-backup.ts";
import { checkBinding } from "./binding.ts";
import { clientConfig, type PgTarget } from "./connection.ts";
import type { RowCounts } from "./database-facts.ts";
import { scratchDatabase } from "./scratch-database.ts";
import type { BackupMetadata } from "./sidecar.ts";
import { checkSignature } from "./signature.ts";
import type { SigningKey } from "./signing-key.ts";

/** Whose backup may be tested: signed with this key, of this environment and of the target's database. */
export interface RestoreTestTrust {
  key: SigningKey | undefined;
  allowUnsigned: boolean;
  envName: string;
  allowCrossEnv?: boolean;
}

export interface RestoreTestResult {
  scratchDatabase: string;
  tables: RowCounts;
}

/**
 * The only proof that a backup restores: load it into a scratch database on the same server, the
 * way restore does (checked content only; committed only when checksum and every table's row count,
 * as the server reports loading them, match the sidecar), then drop the scratch database (also when the
 * test fails). Without the CREATEDB privilege (the application role), into the database prepared
 * for it, emptied before and after (scratch-database.ts).
 */
export async function restoreTest(
  target: PgTarget,
  path: string,
  metadata: BackupMetadata,
  trust: RestoreTestTrust,
  onBytes?: (total: number) => void,
): Promise<RestoreTestResult> {
  // Before a byte reaches the server: the same trust as a restore's.
  checkSignature(metadata, trust.key, trust.allowUnsigned);
  checkBinding(metadata, {
    path,
    envName: trust.envName,
    database: target.database,
    allowCrossEnv: trust.allowCrossEnv ?? false,
  });
  const admin = new pg.Client(clientConfig(target, "lh-ci backup verify"));
  try {
    await admin.connect();
  } catch (error) {
    throw new OperationError(
      `cannot connect to the database ${target.label} for the test restore: ${(error as Error).message}; check DATABASE_URL`,
    );
  }
  try {
    const scratch = await scratchDatabase(admin, target);
    try {
      let tables: RowCounts;
      try {
        tables = await loadBackup(scratch.target, path, metadata, { onBytes, applicationName: "lh-ci backup verify" });
      } catch (error) {
        if (error instanceof RestoreRolledBack) {
          throw new OperationError(
            `the test restore into ${scratch.name} failed: ${error.message}; this backup does not restore`,
          );
        }
        throw error;
      }
      return { scratchDatabase: scratch.name, tables };
    } finally {
      await scratch.discard();
    }
  } finally {
    await admin.end().catch(() => undefined);
  }
}
