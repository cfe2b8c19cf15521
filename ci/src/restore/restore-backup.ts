import pg from "pg";
import { checkBinding } from "../backup/binding.ts";
import { clientConfig, type PgTarget } from "../backup/connection.ts";
import { type BackupResult, createBackup } from "../backup/create-backup.ts";
import { newestMigration, type RowCounts } from "../backup/database-facts.ts";
import type { BackupMetadata } from "../backup/sidecar.ts";
import { checkSignature, type SignatureCheck } from "../backup/signature.ts";
import type { SigningKey } from "../backup/signing-key.ts";
import { checkBackupRecord } from "../backup/verify-backup.ts";
import { OperationError } from "../cli/exit-codes.ts";
import { loadStatementParser } from "../dump/statement-policy.ts";
import { checkRestoreRole } from "./check-role.ts";
import { differencesFromSafetyBackup } from "./check-unchanged.ts";
import { type EndedSessions, endOtherSessions } from "./end-sessions.ts";
import { loadBackup, RestoreRolledBack } from "./load-backup.ts";
import { ServerLoad } from "./server-load.ts";
import { needsDropFirst } from "./set-aside-sql.ts";
import { differencesOutsideTables, type StateOutsideTables, stateOutsideTables } from "./state-outside-tables.ts";

export interface RestoreRequest {
  target: PgTarget;
  /** The backup file; its sidecar is `<path>.json`. */
  path: string;
  envName: string;
  allowCrossEnv: boolean;
  /** The environment's signing key (signing-key.ts): the backup must be signed with it unless `allowUnsigned`. */
  signingKey?: SigningKey;
  allowUnsigned: boolean;
  /** Restore as a superuser (check-role.ts); refused without it. */
  allowSuperuser: boolean;
  /** The key the safety backup is signed with (made on first use when the environment has none yet). */
  safetyBackupKey(): SigningKey;
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
  /** Rows per table, as the server reported loading them (equal to the backup's record, or it would not have committed). */
  tables: RowCounts;
  newestMigration: string | null;
  signature: SignatureCheck;
  /** Seconds each phase took, for the operator's report and the benchmark. */
  seconds: { verify: number; safetyBackup: number; restore: number; rowCounts: number };
}

function since(start: number): number {
  return Math.round((performance.now() - start) / 10) / 100;
}

/**
 * Restores a backup over the target database, refusing what it can before the first change: the
 * sidecar must be valid, agree with the file's name and size, carry a valid signature when a key is
 * configured, come from this environment (unless allowed) and be confirmed. Then the other
 * sessions are ended and the current database is backed up while the load runs (or before it,
 * see safetyBackupThenLoad). The load is one transaction that commits only once the safety backup
 * is on disk and the file proved to match its sidecar (load-backup.ts), so a failure anywhere
 * leaves the database as it was, which is checked against the safety backup's record before it is said.
 */
export async function restoreBackup(request: RestoreRequest): Promise<RestoreOutcome> {
  request.step(`Checking ${request.path} against its sidecar...`);
  let start = performance.now();
  const metadata = checkBackupRecord(request.path);
  const signature = checkSignature(metadata, request.signingKey, request.allowUnsigned);
  checkBinding(metadata, {
    path: request.path,
    envName: request.envName,
    database: request.target.database,
    allowCrossEnv: request.allowCrossEnv,
  });
  const role = await checkRestoreRole(request.target, request.allowSuperuser);
  if (role.superuser) {
    request.step(`WARNING: --allow-superuser: restoring as ${role.role}, a SUPERUSER, not the application role`);
  }
  const verifySeconds = since(start);
  await request.confirm(metadata);

  start = performance.now();
  let load: ServerLoad | undefined;
  let sessions: EndedSessions;
  let dropFirst: boolean;
  let before: StateOutsideTables;
  try {
    // The load connects first, so that ending the other sessions spares it.
    load = await ServerLoad.connect(request.target, "lh-ci restore");
    const spare = load.pid;
    ({ sessions, dropFirst, before } = await withClient(request.target, async (client) => ({
      dropFirst: await needsDropFirst(client),
      sessions: await endOtherSessions(client, spare),
      before: await stateOutsideTables(client),
    })));
  } catch (error) {
    await load?.end(); // it has been sent nothing to do
    throw new OperationError(
      `cannot reach the database ${request.target.label}: ${(error as Error).message}; check DATABASE_URL (host, port, user, password) and that the server is up. Nothing was changed`,
    );
  }
  const { safetyBackup, tables, safetyBackupSeconds, restoreSeconds } = dropFirst
    ? await safetyBackupThenLoad(request, metadata, load, before)
    : await safetyBackupAlongsideLoad(request, metadata, load, before);
  start = performance.now();
  const migration = await withClient(request.target, newestMigration);
  return {
    metadata,
    safetyBackup,
    sessions,
    tables,
    newestMigration: migration,
    signature,
    seconds: {
      verify: verifySeconds,
      safetyBackup: safetyBackupSeconds,
      restore: restoreSeconds,
      rowCounts: since(start),
    },
  };
}

interface SafetyBackupAndLoad {
  safetyBackup: BackupResult;
  tables: RowCounts;
  safetyBackupSeconds: number;
  /** From the load's start to its COMMIT (alongside: the safety backup's time is inside it). */
  restoreSeconds: number;
}

function takeSafetyBackup(request: RestoreRequest, whileDumping?: () => void): Promise<BackupResult> {
  return createBackup({
    target: request.target,
    envName: request.envName,
    gzip: false,
    destination: { dir: request.backupDir },
    onBytes: request.onBytes?.("safety backup: written"),
    signingKey: request.safetyBackupKey().key,
    whileDumping,
  });
}

/**
 * The usual order: the load starts at once, with the old schemas set aside rather than dropped,
 * while pg_dump writes the safety backup from its snapshot of the database as it was (the load's
 * changes are invisible to it until COMMIT, and nothing the load does waits for its locks). COMMIT
 * waits until the safety backup is on disk with its sidecar: the two share the machine instead of
 * queueing, and still nothing is changed before there is a safety backup.
 */
async function safetyBackupAlongsideLoad(
  request: RestoreRequest,
  metadata: BackupMetadata,
  session: ServerLoad,
  before: StateOutsideTables,
): Promise<SafetyBackupAndLoad> {
  request.step(
    `Backing up the current ${request.envName} database and, alongside, restoring ${metadata.file} into ${request.target.label} in one transaction (committed only once the safety backup is on disk and the file proves to match its sidecar)...`,
  );
  const start = performance.now();
  let safetyBackupSeconds = 0;
  const safetyRun = takeSafetyBackup(request).finally(() => {
    safetyBackupSeconds = since(start);
  });
  const loadRun = loadBackup(request.target, request.path, metadata, {
    onBytes: request.onBytes?.("restored"),
    session,
    alongside: safetyRun,
  });
  const [safety, load] = await Promise.allSettled([safetyRun, loadRun]);
  if (safety.status === "rejected") {
    const why = (safety.reason as Error).message;
    const cause =
      load.status === "rejected" && load.reason instanceof RestoreRolledBack
        ? ` (the load failed too: ${load.reason.message})`
        : "";
    throw new OperationError(
      `the safety backup failed, so the restore was rolled back and nothing was changed${cause}: ${why}`,
    );
  }
  if (load.status === "rejected") {
    if (!(load.reason instanceof RestoreRolledBack)) throw load.reason;
    throw await failedRestoreError(request.target, safety.value, before, load.reason.message);
  }
  return { safetyBackup: safety.value, tables: load.value, safetyBackupSeconds, restoreSeconds: since(start) };
}

/**
 * When the database holds extensions or large objects, the load must drop them before anything
 * else, which waits for the locks pg_dump holds: the safety backup is then taken first.
 */
async function safetyBackupThenLoad(
  request: RestoreRequest,
  metadata: BackupMetadata,
  load: ServerLoad,
  before: StateOutsideTables,
): Promise<SafetyBackupAndLoad> {
  request.step(
    `Backing up the current ${request.envName} database first (it holds extensions or large objects, which the restore drops before it loads)...`,
  );
  const start = performance.now();
  let safetyBackup: BackupResult;
  try {
    // The SQL parser compiles while pg_dump runs (awaited by the load; a failure must not go unhandled meanwhile).
    safetyBackup = await takeSafetyBackup(request, () => loadStatementParser().catch(() => undefined));
  } catch (error) {
    await load.end(); // it has been sent nothing to do
    throw error;
  }
  const safetyBackupSeconds = since(start);
  const loadStart = performance.now();
  request.step(
    `Restoring ${metadata.file} into ${request.target.label} in one transaction (committed only if the file proves to match its sidecar)...`,
  );
  try {
    const tables = await loadBackup(request.target, request.path, metadata, {
      onBytes: request.onBytes?.("restored"),
      session: load,
    });
    return { safetyBackup, tables, safetyBackupSeconds, restoreSeconds: since(loadStart) };
  } catch (error) {
    if (!(error instanceof RestoreRolledBack)) throw error;
    throw await failedRestoreError(request.target, safetyBackup, before, error.message);
  }
}

/** Says the database is as it was only after checking it; otherwise says so loudly. */
async function failedRestoreError(
  target: PgTarget,
  safetyBackup: BackupResult,
  before: StateOutsideTables,
  cause: string,
): Promise<OperationError> {
  const safety = safetyBackup.path ?? safetyBackup.metadata.file;
  let differences: string[];
  try {
    differences = await withClient(target, async (client) => [
      ...(await differencesFromSafetyBackup(client, safetyBackup.metadata.tables)),
      ...differencesOutsideTables(before, await stateOutsideTables(client)),
    ]);
  } catch (error) {
    differences = [`the check itself failed (${(error as Error).message})`];
  }
  if (differences.length === 0) {
    const tables = Object.keys(safetyBackup.metadata.tables).length;
    return new OperationError(
      `the restore failed and was rolled back, so the database is exactly as it was before (checked: its ${tables} tables and their row counts match the safety backup's record, its ${before.sequences.size} sequences and the role settings are as they were). Cause: ${cause}. ` +
        `Check the backup with lh-ci backup verify --restore-test; the safety backup ${safetyBackup.metadata.file} is there too`,
    );
  }
  return new OperationError(
    `THE RESTORE FAILED AND THE DATABASE IS NOT AS IT WAS BEFORE: ${differences.join("; ")}. ` +
      `Cause: ${cause}. Restore the safety backup taken just before: lh-ci restore ${safety} --yes (after checking nothing else writes to the database)`,
  );
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
