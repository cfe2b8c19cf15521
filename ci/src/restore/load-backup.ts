import { randomBytes } from "node:crypto";
import { basename } from "node:path";
import type { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { ByteMeter } from "../backup/byte-meter.ts";
import type { PgTarget } from "../backup/connection.ts";
import type { RowCounts } from "../backup/database-facts.ts";
import { DumpEdges } from "../backup/dump-edges.ts";
import { openRegularFile } from "../backup/open-regular-file.ts";
import type { BackupMetadata } from "../backup/sidecar.ts";
import { DumpRefused, DumpScanner } from "../dump/dump-scanner.ts";
import { loadStatementParser } from "../dump/statement-policy.ts";
import { collectReadBuffers } from "./collect-read-buffers.ts";
import { rowCountDifferences } from "./compare-counts.ts";
import { ServerLoad } from "./server-load.ts";
import { dropSetAsideSql, setAsideSql } from "./set-aside-sql.ts";

/** Reads of the backup file: few enough calls, small enough to stream. */
const READ_CHUNK_BYTES = 1024 * 1024;
/** Checked pieces (statements, COPY data chunks of up to 1 MB) kept ready ahead of the server. */
const READ_AHEAD_PIECES = 16;
const DEFAULT_LOCK_TIMEOUT = "60s";

export interface LoadBackupOptions {
  /** How long a statement may wait for a lock held by another session before the restore gives up. */
  lockTimeout?: string;
  /** Counts the file's bytes as they are read (progress). */
  onBytes?: (total: number) => void;
  applicationName?: string;
  /** The connection, opened earlier (restore opens it before ending the other sessions, to spare it); otherwise opened here. */
  session?: ServerLoad;
  /**
   * Work running alongside the load that must succeed before COMMIT: the safety backup, whose
   * pg_dump holds the old tables. The old schemas are then only set aside (nothing that would wait
   * for pg_dump's locks is dropped up front), COMMIT waits for it, and its failure, rethrown as it
   * is, rolls the load back.
   */
  alongside?: Promise<unknown>;
}

/** Thrown when the restore did not commit: the transaction was rolled back (or never committed). */
export class RestoreRolledBack extends Error {
  override name = "RestoreRolledBack";
}

/**
 * Replaces the content of the target database with a backup in ONE transaction, reading the file
 * once: its bytes stream through the sha256, the completeness check and the dump scanner into
 * lh-ci's own connection (server-load.ts), which runs each checked statement alone and sends COPY
 * data as COPY data, after `BEGIN` and the setting aside of the old objects (set-aside-sql.ts).
 * `COMMIT` (after the set-aside objects are dropped, under lh-ci's lock timeout) is sent only when
 * the checksum and size match the sidecar, the dump is complete, every table's rows as the server
 * reported loading them match the sidecar, no setting that changes how SQL is read changed, and
 * the work `alongside` succeeded; in any other case the transaction is rolled back.
 * Returns the rows per table the server reported.
 */
export async function loadBackup(
  target: PgTarget,
  path: string,
  metadata: BackupMetadata,
  options: LoadBackupOptions = {},
): Promise<RowCounts> {
  const lockTimeout = options.lockTimeout ?? DEFAULT_LOCK_TIMEOUT;
  const load =
    options.session ?? (await ServerLoad.connect(target, options.applicationName ?? "lh-ci restore", lockTimeout));
  try {
    return await loadThenCommit(load, path, metadata, options);
  } catch (error) {
    // Whatever failed (a refusal, a proof, the work alongside), the transaction must not stay open
    // holding every lock: it is rolled back, and the connection closed.
    await load.abort();
    throw error;
  }
}

async function loadThenCommit(
  load: ServerLoad,
  path: string,
  metadata: BackupMetadata,
  options: LoadBackupOptions,
): Promise<RowCounts> {
  await loadStatementParser();
  const collect = collectReadBuffers();
  const meter = new ByteMeter((total) => {
    collect(total);
    options.onBytes?.(total);
  });
  const edges = new DumpEdges();
  const scanner = new DumpScanner({ countRows: false }); // the server's `COPY n` says how many rows went in
  const setAsidePrefix = `lh_ci_replaced_${randomBytes(4).toString("hex")}_`;
  const alongsideDump = options.alongside !== undefined;
  const file = openRegularFile(path, READ_CHUNK_BYTES);
  try {
    await load.run(
      `BEGIN;\n${setAsideSql({ lockTimeout: options.lockTimeout ?? DEFAULT_LOCK_TIMEOUT, setAsidePrefix, alongsideDump })}`,
    );
  } catch (error) {
    file.destroy();
    throw new RestoreRolledBack(`setting the old objects aside failed: ${(error as Error).message}`);
  }
  // A failure alongside (the safety backup) ends the read at once: the load is rolled back anyway.
  let alongsideFailed = false;
  options.alongside?.catch(() => {
    alongsideFailed = true;
    file.destroy();
  });
  const stages: Array<Readable | Writable> = [file, meter];
  if (metadata.compression === "gzip") stages.push(createGunzip());
  stages.push(edges, scanner.filter(READ_AHEAD_PIECES), load.writable());
  const fed = await Promise.allSettled([
    // biome-ignore lint/suspicious/noExplicitAny: pipeline's overloads do not take a spread of stages
    (pipeline as any)(...stages) as Promise<void>,
  ]).then(([result]) => result);
  if (alongsideFailed) await options.alongside; // throws its failure; loadBackup then rolls back

  const problem =
    fed.status === "rejected" ? failureOf(fed.reason) : checkLoad(basename(path), meter, edges, scanner, metadata);
  if (problem) throw new RestoreRolledBack(problem);
  const loadedRows = load.rows;
  const differences = rowCountDifferences(metadata.tables, loadedRows);
  if (differences.length > 0) {
    throw new RestoreRolledBack(`the dump's rows differ from its sidecar: ${differences.join("; ")}`);
  }

  await options.alongside; // on failure, loadBackup rolls back
  let committed: string | undefined;
  try {
    await load.keepLockTimeout();
    committed = await load.run(`${dropSetAsideSql(setAsidePrefix)}COMMIT;`);
  } catch (error) {
    throw new RestoreRolledBack((error as Error).message);
  }
  if (committed !== "COMMIT") throw new RestoreRolledBack("the transaction did not commit");
  await load.end();
  return loadedRows;
}

function failureOf(error: unknown): string {
  if (error instanceof DumpRefused) return refusedMessage(error);
  const message = (error as Error).message ?? String(error);
  if ((error as NodeJS.ErrnoException).code?.startsWith("Z_") || /unexpected end of file/.test(message)) {
    return `the backup is not a valid gzip file (${message})`;
  }
  if ((error as Error).name === "LoadTampered") return `the load was stopped: ${message}`;
  return `the load failed: ${message}`;
}

function refusedMessage(error: DumpRefused): string {
  return `the dump was refused: ${error.message}. A backup may hold only data and definitions`;
}

/** The proofs that need the whole file: size, checksum, completeness. */
function checkLoad(
  name: string,
  meter: ByteMeter,
  edges: DumpEdges,
  scanner: DumpScanner,
  metadata: BackupMetadata,
): string | undefined {
  if (meter.bytes !== metadata.sizeBytes) {
    return `${name} is ${meter.bytes} bytes but its sidecar records ${metadata.sizeBytes}: the file is truncated or was changed while it was read; use another backup`;
  }
  if (meter.digest() !== metadata.sha256) {
    return `${name} does not match the sha256 in its sidecar: the file is corrupted or was changed after the backup; use another backup`;
  }
  const incomplete = edges.problem();
  if (incomplete) return `${name} is not a complete backup: ${incomplete}; use another backup`;
  try {
    scanner.finish();
  } catch (error) {
    if (error instanceof DumpRefused) return refusedMessage(error);
    throw error;
  }
  return undefined;
}
