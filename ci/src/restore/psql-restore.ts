import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { basename } from "node:path";
import type { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { ByteMeter } from "../backup/byte-meter.ts";
import { lastLines } from "../backup/child-process.ts";
import type { PgTarget } from "../backup/connection.ts";
import type { RowCounts } from "../backup/database-facts.ts";
import { DumpEdges } from "../backup/dump-edges.ts";
import type { BackupMetadata } from "../backup/sidecar.ts";
import { DumpRefused, DumpScanner } from "../dump/dump-scanner.ts";
import { loadStatementParser } from "../dump/statement-policy.ts";
import { collectReadBuffers } from "./collect-read-buffers.ts";
import { rowCountDifferences } from "./compare-counts.ts";
import type { PsqlOutput } from "./psql-output.ts";
import { PsqlSession } from "./psql-session.ts";
import { dropSetAsideSql, setAsideSql } from "./set-aside-sql.ts";

/** Reads of the backup file: few enough calls, small enough to stream. */
const READ_CHUNK_BYTES = 1024 * 1024;
/**
 * Checked bytes kept ready ahead of psql: the pipe holds a few hundred KB, a few ms of psql's work,
 * so without it psql waits whenever Node is busy (reading, hashing) or not scheduled.
 */
const READ_AHEAD_BYTES = 8 * 1024 * 1024;

export interface PsqlRestoreOptions {
  /** How long a statement may wait for a lock held by another session before the restore gives up. */
  lockTimeout?: string;
  /** Counts the file's bytes as they are read (progress). */
  onBytes?: (total: number) => void;
  applicationName?: string;
  /** psql started earlier (restore starts it before ending the other sessions, to spare it); otherwise started here. */
  session?: PsqlSession;
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
 * once: its bytes stream through the sha256, the completeness check and the dump scanner (only
 * checked statements and COPY data reach psql) into psql, after `BEGIN` and the setting aside of
 * the old objects (set-aside-sql.ts). `COMMIT` (after the set-aside objects are dropped) is
 * sent only when the checksum and size match the sidecar, the dump is complete, every table's rows
 * match the sidecar, psql's own `COPY n` reports agree, and the work `alongside` succeeded; in any
 * other case psql's input ends without it, and PostgreSQL rolls everything back.
 * Returns the rows per table psql reported.
 */
export async function psqlRestore(
  target: PgTarget,
  path: string,
  metadata: BackupMetadata,
  options: PsqlRestoreOptions = {},
): Promise<RowCounts> {
  const session = options.session ?? new PsqlSession(target, options.applicationName ?? "lh-ci restore");
  try {
    return await loadThenCommit(session, path, metadata, options);
  } catch (error) {
    if (!(error instanceof RestoreRolledBack)) {
      // Whatever failed, psql must not wait for more input inside the open transaction (holding
      // every lock, keeping lh-ci from exiting): its input ends without COMMIT, so it rolls back.
      session.end();
      await session.exited.catch(() => undefined);
    }
    throw error;
  }
}

async function loadThenCommit(
  session: PsqlSession,
  path: string,
  metadata: BackupMetadata,
  options: PsqlRestoreOptions,
): Promise<RowCounts> {
  const { psql, stdin, output, exited } = session;
  await loadStatementParser();
  const collect = collectReadBuffers();
  const meter = new ByteMeter((total) => {
    collect(total);
    options.onBytes?.(total);
  });
  const edges = new DumpEdges();
  const scanner = new DumpScanner({ countRows: false }); // psql's `COPY n` says how many rows went in
  const setAsidePrefix = `lh_ci_replaced_${randomBytes(4).toString("hex")}_`;
  const alongsideDump = options.alongside !== undefined;
  stdin.write(`BEGIN;\n${setAsideSql({ lockTimeout: options.lockTimeout ?? "60s", setAsidePrefix, alongsideDump })}`);
  const file = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
  // A failure alongside (the safety backup) ends the read at once: the load is rolled back anyway.
  let alongsideFailed = false;
  options.alongside?.catch(() => {
    alongsideFailed = true;
    file.destroy();
  });
  const stages: Array<Readable | Writable> = [file, meter];
  if (metadata.compression === "gzip") stages.push(createGunzip());
  stages.push(edges, scanner.filter(READ_AHEAD_BYTES));
  const fed = await Promise.allSettled([
    // biome-ignore lint/suspicious/noExplicitAny: pipeline's overloads do not take a spread of stages
    (pipeline as any)(...stages, stdin, { end: false }) as Promise<void>,
  ]).then(([result]) => result);
  if (alongsideFailed) await options.alongside; // throws its failure; psqlRestore then ends psql's input without COMMIT

  const problem =
    fed.status === "rejected" ? failureOf(fed.reason) : checkLoad(basename(path), meter, edges, scanner, metadata);
  if (problem) return abort(session, problem);

  session.markLoaded();
  const synced = await Promise.race([output.waitFor(session.loadedMarker).then(() => undefined), exited]);
  if (synced) return abort(session, "psql stopped before the end of the dump");
  const loadedRows = rowsLoaded(scanner, output);
  if (typeof loadedRows === "string") return abort(session, loadedRows);
  const differences = rowCountDifferences(metadata.tables, loadedRows);
  if (differences.length > 0) {
    return abort(session, `the dump's rows differ from its sidecar: ${differences.join("; ")}`);
  }

  await options.alongside; // on failure, psqlRestore ends psql's input without COMMIT
  session.end(`${dropSetAsideSql(setAsidePrefix)}COMMIT;\n`);
  const exit = await exited;
  if (exit.psqlFailed || output.last !== "COMMIT") {
    throw new RestoreRolledBack(
      lastLines(psql.stderrTail(), 4) ||
        `psql exited with ${exit.code ?? exit.signal} and the transaction did not commit`,
    );
  }
  return loadedRows;
}

/**
 * Ends psql's input without COMMIT: psql finishes what it has, exits, and the server rolls the
 * open transaction back. When psql itself stopped on an error, its message is the cause.
 */
async function abort(session: PsqlSession, problem: string): Promise<never> {
  session.end();
  const { psqlFailed } = await session.exited;
  throw new RestoreRolledBack((psqlFailed && lastLines(session.psql.stderrTail(), 4)) || problem);
}

function failureOf(error: unknown): string {
  if (error instanceof DumpRefused) return refusedMessage(error);
  const message = (error as Error).message ?? String(error);
  if ((error as NodeJS.ErrnoException).code?.startsWith("Z_") || /unexpected end of file/.test(message)) {
    return `the backup is not a valid gzip file (${message})`;
  }
  return `reading the backup failed: ${message}`;
}

function refusedMessage(error: DumpRefused): string {
  return `the dump was refused: ${error.message}. A backup may hold only data and definitions`;
}

/** The proofs that need the whole file: size, checksum, completeness, rows per table. */
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

/**
 * Rows per table as psql reported loading them: its `COPY n` / `INSERT 0 n` reports must be exactly
 * the data statements the scanner passed, in order (an INSERT's count is also known from its VALUES).
 * Returns why not, as a string, when they are not.
 */
function rowsLoaded(scanner: DumpScanner, output: PsqlOutput): RowCounts | string {
  const statements = scanner.data;
  const reported = output.tags;
  if (reported.length !== statements.length) {
    return `psql reported ${reported.length} data statements where the dump holds ${statements.length}`;
  }
  const counts: RowCounts = {};
  for (const [index, statement] of statements.entries()) {
    const tag = reported[index];
    if (tag?.kind !== statement.kind || (statement.kind === "insert" && tag.rows !== statement.rows)) {
      return `psql's report for ${statement.table} does not match the dump's statement`;
    }
    counts[statement.table] = (counts[statement.table] ?? 0) + tag.rows;
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}
