import pg from "pg";
import { clientConfig, type PgTarget } from "../backup/connection.ts";
import { type BackupResult, createBackup } from "../backup/create-backup.ts";
import { newestMigration, type RowCounts, rowCounts } from "../backup/database-facts.ts";
import { isGzipPath } from "../backup/naming.ts";
import type { BackupMetadata } from "../backup/sidecar.ts";
import { verifyBackupFile } from "../backup/verify-backup.ts";
import { OperationError, UsageError } from "../cli/exit-codes.ts";
import { rowCountDifferences } from "./compare-counts.ts";
import { dumpSource } from "./dump-source.ts";
import { type EndedSessions, endOtherSessions } from "./end-sessions.ts";
import { psqlRestore, RestoreRolledBack } from "./psql-restore.ts";

export interface RestoreRequest {
  target: PgTarget;
  /** The backup file; its sidecar is `<path>.json`. */
  path: string;
  envName: string;
  allowCrossEnv: boolean;
  /** Where the safety backup of the current database goes. */
  backupDir: string;
  /** Asks the operator; throws to cancel. Called after the backup is proven good, before any change. */
  confirm(metadata: BackupMetadata): Promise<void>;
  /** Progress lines for the operator. */
  step(line: string): void;
  onBytes?: (verb: string) => (total: number) => void;
}

export interface RestoreOutcome {
  metadata: BackupMetadata;
  safetyBackup: BackupResult;
  sessions: EndedSessions;
  tables: RowCounts;
  newestMigration: string | null;
  /** Tables whose row count differs from the backup's record (empty when all match). */
  differences: string[];
  /** Seconds each phase took, for the operator's report and the benchmark. */
  seconds: { verify: number; safetyBackup: number; restore: number; rowCounts: number };
}

function since(start: number): number {
  return Math.round((performance.now() - start) / 10) / 100;
}

/**
 * Restores a backup over the target database, refusing anything it cannot prove safe before the
 * first change: the backup must match its sidecar and be complete, come from this environment
 * (unless allowed) and be confirmed. The current database is backed up first; the restore itself is
 * one transaction, so a failure anywhere leaves the database exactly as it was.
 */
export async function restoreBackup(request: RestoreRequest): Promise<RestoreOutcome> {
  request.step(`Verifying ${request.path} against its sidecar...`);
  let start = performance.now();
  const metadata = await verifyBackupFile(request.path, request.onBytes?.("verified"));
  if (metadata.environment !== request.envName && !request.allowCrossEnv) {
    throw new UsageError(
      `refusing to restore a backup of ${metadata.environment} into ${request.envName}: pass --allow-cross-env if that is really intended (nothing was changed)`,
    );
  }
  const verifySeconds = since(start);
  await request.confirm(metadata);

  request.step(`Backing up the current ${request.envName} database first...`);
  start = performance.now();
  const safetyBackup = await createBackup({
    target: request.target,
    envName: request.envName,
    gzip: false,
    destination: { dir: request.backupDir },
    onBytes: request.onBytes?.("safety backup: written"),
  });

  const safetyBackupSeconds = since(start);
  start = performance.now();
  const sessions = await withClient(request.target, endOtherSessions);
  request.step(`Restoring ${metadata.file} into ${request.target.label} in one transaction...`);
  try {
    await psqlRestore(
      request.target,
      dumpSource(request.path, isGzipPath(request.path), request.onBytes?.("restored")),
    );
  } catch (error) {
    if (!(error instanceof RestoreRolledBack)) throw error;
    throw new OperationError(
      `the restore failed and was rolled back, so the database is exactly as it was before (psql: ${error.message}). ` +
        `Check the backup with lh-ci backup verify --restore-test; the safety backup ${safetyBackup.metadata.file} is there too`,
    );
  }
  const restoreSeconds = since(start);
  start = performance.now();
  const [tables, migration] = await withClient(request.target, (client) =>
    Promise.all([rowCounts(client), newestMigration(client)]),
  );
  return {
    metadata,
    safetyBackup,
    sessions,
    tables,
    newestMigration: migration,
    differences: rowCountDifferences(metadata.tables, tables),
    seconds: {
      verify: verifySeconds,
      safetyBackup: safetyBackupSeconds,
      restore: restoreSeconds,
      rowCounts: since(start),
    },
  };
}

/** A short-lived connection: the restore ends every other session, so none may stay open across it. */
async function withClient<T>(target: PgTarget, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(clientConfig(target, "lh-ci restore"));
  client.on("error", () => undefined); // a terminated idle connection must not crash the process
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
