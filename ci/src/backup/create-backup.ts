import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import pg from "pg";
import { OperationError } from "../cli/exit-codes.ts";
import { DumpRefused, DumpScanner } from "../dump/dump-scanner.ts";
import { newlineCountingBuffer } from "../dump/newline-count.ts";
import { loadStatementParser } from "../dump/statement-policy.ts";
import { BackupFileWriter } from "./backup-file-writer.ts";
import { ByteMeter } from "./byte-meter.ts";
import { type RunningChild, startChild } from "./child-process.ts";
import { claimBackupName } from "./claim-name.ts";
import { childEnvironment, clientConfig, type PgTarget } from "./connection.ts";
import { newestMigration, type RowCounts, serverVersion } from "./database-facts.ts";
import { DumpEdges } from "./dump-edges.ts";
import { explainDumpFailure, explainQueryFailure } from "./dump-failure.ts";
import { followFile } from "./follow-file.ts";
import { pgBinary } from "./pg-binary.ts";
import { pgDumpVersion } from "./pg-dump-version.ts";
import { type BackupMetadata, SIDECAR_FORMAT } from "./sidecar.ts";
import { signMetadata } from "./signature.ts";

export interface BackupRequest {
  target: PgTarget;
  envName: string;
  gzip: boolean;
  /** A directory to write the backup into, or a stream to send the dump to (`--stdout`). */
  destination: { dir: string } | { stream: Writable };
  /** Called with the bytes written so far, as the dump streams. */
  onBytes?: (total: number) => void;
  now?: () => Date;
  /** How long to wait for a table another session holds locked (default 60 s). */
  lockTimeoutSeconds?: number;
  /** BACKUP_SIGNING_KEY: when set, the sidecar is signed (signature.ts). */
  signingKey?: string;
  /** Called once pg_dump has started: work to do meanwhile rather than before it (restore's SQL parser). */
  whileDumping?: () => void;
}

interface Dumped {
  sha256: string;
  sizeBytes: number;
  /** Rows per table, counted from the COPY blocks of the dump as it streamed. */
  tables: RowCounts;
  /** The pg_dump version its header names (no second process to ask it). */
  dumperVersion: string;
  /** Read in the snapshot pg_dump dumps, while it dumps. */
  facts: SnapshotFacts;
}

interface SnapshotFacts {
  version: string;
  migration: string | null;
}

export const DEFAULT_LOCK_TIMEOUT_SECONDS = 60;

export interface BackupResult {
  /** Absolute path of the backup, when written to a directory. */
  path?: string;
  metadata: BackupMetadata;
}

/**
 * Dumps the database in plain SQL. The newest migration is read in the very snapshot pg_dump
 * dumps (exported by our transaction, imported with --snapshot), and the row counts are counted
 * from the dump's own COPY blocks as it streams, so the sidecar describes exactly the rows in the file.
 */
export async function createBackup(request: BackupRequest): Promise<BackupResult> {
  const lockTimeout = request.lockTimeoutSeconds ?? DEFAULT_LOCK_TIMEOUT_SECONDS;
  const client = new pg.Client(clientConfig(request.target, "lh-ci backup"));
  /** The connection's end, once asked for: the server's closing overlaps the backup's last writes. */
  let closing: Promise<void> | undefined;
  try {
    await client.connect();
  } catch (error) {
    throw new OperationError(
      `cannot connect to the database ${request.target.label}: ${(error as Error).message}; check DATABASE_URL (host, port, user, password) and that the server is up. No backup was written`,
    );
  }
  try {
    // One round trip (pg_dump waits for it): the transaction whose snapshot pg_dump imports.
    const opened = (await client.query(
      `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL lock_timeout = '${lockTimeout * 1000}ms'; SELECT pg_export_snapshot() AS id`,
    )) as unknown as pg.QueryResult<{ id: string }>[];
    const snapshot = opened.at(-1)?.rows[0]?.id ?? "";
    const now = request.now?.() ?? new Date();
    const { startedAt, name, release } = claimBackupName(request.envName, request.gzip, destinationDir(request), now);
    const writer =
      "dir" in request.destination
        ? await openWriter(join(resolve(request.destination.dir), name), release)
        : undefined;
    try {
      const dumped =
        writer && !request.gzip
          ? await runDumpToFile(request, client, snapshot, writer)
          : writer
            ? await runDump(request, client, snapshot, writer.stream(), true)
            : await runDump(request, client, snapshot, (request.destination as { stream: Writable }).stream, false);
      const { version, migration } = dumped.facts;
      // pg_dump is done and its snapshot released: the connection was kept only to explain its failure.
      closing = client.end().catch(() => undefined);
      const unsigned: BackupMetadata = {
        format: SIDECAR_FORMAT,
        file: name,
        sha256: dumped.sha256,
        sizeBytes: dumped.sizeBytes,
        compression: request.gzip ? "gzip" : "none",
        environment: request.envName,
        database: request.target.database,
        serverVersion: version,
        pgDumpVersion: dumped.dumperVersion,
        createdAt: startedAt.toISOString(),
        newestMigration: migration,
        tables: dumped.tables,
      };
      const metadata = request.signingKey
        ? { ...unsigned, signature: signMetadata(unsigned, request.signingKey) }
        : unsigned;
      await writer?.commit(metadata);
      return { path: writer?.path, metadata };
    } catch (error) {
      await writer?.discard();
      throw error;
    } finally {
      release();
    }
  } finally {
    await (closing ?? client.end().catch(() => undefined));
  }
}

async function openWriter(path: string, releaseName: () => void): Promise<BackupFileWriter> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  return new BackupFileWriter(path, releaseName);
}

function destinationDir(request: BackupRequest): string | undefined {
  return "dir" in request.destination ? resolve(request.destination.dir) : undefined;
}

function pgDumpArguments(request: BackupRequest, snapshot: string): string[] {
  return [
    "--format=plain",
    // Owners are not carried (the restoring role owns what it restores); privileges are (GRANT/REVOKE, grant-policy.ts).
    "--no-owner",
    `--snapshot=${snapshot}`,
    `--lock-wait-timeout=${(request.lockTimeoutSeconds ?? DEFAULT_LOCK_TIMEOUT_SECONDS) * 1000}`,
    `--dbname=${request.target.url}`,
  ];
}

/**
 * A plain backup to a file: pg_dump writes the file itself (as fast as `pg_dump > file`), while
 * the checksum, the completeness check and the row counts read it behind pg_dump, on the other core,
 * and the file is flushed to disk behind them (so the final fsync has little left to do).
 */
async function runDumpToFile(
  request: BackupRequest,
  client: pg.Client,
  snapshot: string,
  writer: BackupFileWriter,
): Promise<Dumped> {
  const dump = startChild(pgBinary("pg_dump"), pgDumpArguments(request, snapshot), {
    env: childEnvironment(request.target),
    stdout: writer.fd,
    dieWithParent: true,
  });
  // Before whileDumping: restore's load, started there, must not race these reads for locks.
  const facts = await readFactsWhileDumping(client, dump);
  if (facts.status === "fulfilled") request.whileDumping?.();
  await parserLoadedAfterStart(dump);
  const edges = new DumpEdges();
  const scanner = new DumpScanner(); // what restore would refuse fails the backup now, not at restore
  const meter = new ByteMeter(request.onBytes);
  const [read, exit] = await Promise.allSettled([
    followFile(
      writer.temporaryPath,
      dump.exited,
      (chunk) => {
        edges.observe(chunk);
        meter.observe(chunk);
        scanner.observe(chunk);
        writer.directlyWritten(meter.bytes);
      },
      newlineCountingBuffer(), // the row counts are counted in place, with SIMD
    ),
    dump.exited,
  ]);
  const known = await checkDump(request, client, dump, exit, read, "reading the dump back failed", facts);
  const tables = finishScan(scanner, edges);
  await writer.finishDirectWrite();
  return {
    sha256: meter.digest(),
    sizeBytes: meter.bytes,
    tables,
    dumperVersion: edges.dumperVersion() ?? pgDumpVersion(),
    facts: known,
  };
}

async function runDump(
  request: BackupRequest,
  client: pg.Client,
  snapshot: string,
  sink: Writable,
  endSink: boolean,
): Promise<Dumped> {
  const dump = startChild(pgBinary("pg_dump"), pgDumpArguments(request, snapshot), {
    env: childEnvironment(request.target),
    dieWithParent: true,
  });
  // Before whileDumping: restore's load, started there, must not race these reads for locks.
  const facts = await readFactsWhileDumping(client, dump);
  if (facts.status === "fulfilled") request.whileDumping?.();
  await parserLoadedAfterStart(dump); // pg_dump meanwhile fills its pipe and waits
  const stdout = dump.child.stdout;
  if (!stdout) throw new Error("pg_dump has no stdout");
  const edges = new DumpEdges();
  const scanner = new DumpScanner(); // what restore would refuse fails the backup now, not at restore
  const meter = new ByteMeter(request.onBytes);
  // The completeness check and the row counts read the plain SQL; the checksum covers the bytes as stored.
  const streaming = request.gzip
    ? pipeline(stdout, edges, scanner.observer(), createGzip(), meter, sink, { end: endSink })
    : pipeline(stdout, edges, scanner.observer(), meter, sink, { end: endSink });
  const [streamed, exit] = await Promise.allSettled([streaming, dump.exited]);
  // A failed write (disk full) also makes pg_dump fail on its closed pipe: report the cause.
  const known = await checkDump(request, client, dump, exit, streamed, "writing the dump failed", facts);
  const tables = finishScan(scanner, edges);
  return {
    sha256: meter.digest(),
    sizeBytes: meter.bytes,
    tables,
    dumperVersion: edges.dumperVersion() ?? pgDumpVersion(),
    facts: known,
  };
}

/**
 * Every statement of the dump is checked as restore checks it. The parser starts loading only once
 * pg_dump runs (unless the caller loads it already): its load, some 50-100 ms of this thread,
 * would otherwise delay the connection and the queries that pg_dump waits for. pg_dump's first
 * bytes wait meanwhile (in the file, or its pipe). A parser that cannot load stops pg_dump.
 */
async function parserLoadedAfterStart(dump: RunningChild): Promise<void> {
  try {
    await loadStatementParser();
  } catch (error) {
    dump.child.kill("SIGKILL");
    throw new OperationError(`the SQL parser did not load: ${(error as Error).message}. No backup was written`);
  }
}

/**
 * The server version and the newest migration, read in the exported snapshot (so exactly what
 * pg_dump dumps) once pg_dump has started: its start no longer waits for these round trips. A
 * failed read (the migrations table locked, say) stops pg_dump: the backup fails on that read.
 */
function readFactsWhileDumping(client: pg.Client, dump: RunningChild): Promise<PromiseSettledResult<SnapshotFacts>> {
  const reading = (async () => ({ version: await serverVersion(client), migration: await newestMigration(client) }))();
  reading.catch(() => dump.child.kill("SIGKILL"));
  return Promise.allSettled([reading]).then(([settled]) => settled as PromiseSettledResult<SnapshotFacts>);
}

/** A failed read of the snapshot's facts first, then pg_dump's failure (explained), then a failed read or write of the stream. */
async function checkDump(
  request: BackupRequest,
  client: pg.Client,
  dump: RunningChild,
  exit: PromiseSettledResult<{ code: number | null; signal: NodeJS.Signals | null }>,
  streamed: PromiseSettledResult<unknown>,
  streamFailure: string,
  facts: PromiseSettledResult<SnapshotFacts>,
): Promise<SnapshotFacts> {
  if (facts.status === "rejected") {
    await client.query("ROLLBACK").catch(() => undefined); // a fresh view of the locks for the explanation
    const lockTimeout = request.lockTimeoutSeconds ?? DEFAULT_LOCK_TIMEOUT_SECONDS;
    const why = await explainQueryFailure(client, facts.reason as Error, "_prisma_migrations", lockTimeout);
    throw new OperationError(`${why}. No backup was written`);
  }
  if (exit.status === "rejected") throw new OperationError(`${(exit.reason as Error).message}. No backup was written`);
  if (exit.value.code !== 0) {
    await client.query("ROLLBACK").catch(() => undefined); // a fresh view of the locks for the explanation
    const stderr = dump.stderrTail();
    const why = stderr
      ? await explainDumpFailure(client, stderr, request.lockTimeoutSeconds ?? DEFAULT_LOCK_TIMEOUT_SECONDS)
      : `pg_dump failed: exit ${exit.value.code ?? exit.value.signal}`;
    throw new OperationError(`${why}. No backup was written`);
  }
  if (streamed.status === "rejected") {
    throw new OperationError(`${streamFailure}: ${(streamed.reason as Error).message}. No backup was written`);
  }
  return facts.value;
}

function finishScan(scanner: DumpScanner, edges: DumpEdges): RowCounts {
  const problem = edges.problem();
  if (problem) throw new OperationError(`pg_dump's output is not a complete dump: ${problem}. No backup was written`);
  try {
    scanner.finish();
  } catch (error) {
    if (error instanceof DumpRefused) throw new OperationError(`${refusal(error)}. No backup was written`);
    throw error;
  }
  return scanner.rowCounts();
}

/** The statement restore would refuse, and why: a backup that can never be restored is not written. */
function refusal(error: DumpRefused): string {
  return `the database holds something restore refuses, so this backup could never be restored: ${error.message}. Change or remove that object (docs/runbook.md, "What a backup refuses")`;
}
