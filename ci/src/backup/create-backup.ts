import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { OperationError } from "../cli/exit-codes.ts";
import { BackupFileWriter } from "./backup-file-writer.ts";
import { type RunningChild, startChild } from "./child-process.ts";
import { claimBackupName } from "./claim-name.ts";
import { childEnvironment, clientConfig, type PgTarget } from "./connection.ts";
import { explainDumpFailure } from "./dump-failure.ts";
import type { Dumped } from "./dump-reading.ts";
import { followFile } from "./follow-file.ts";
import { MigrationsUnreadable } from "./migrations-unreadable.ts";
import { pgBinary } from "./pg-binary.ts";
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

export const DEFAULT_LOCK_TIMEOUT_SECONDS = 60;

export interface BackupResult {
  /** Absolute path of the backup, when written to a directory. */
  path?: string;
  metadata: BackupMetadata;
}

/**
 * Dumps the database in plain SQL. pg_dump is the first thing to reach the server (it dumps one
 * snapshot of its own); everything the sidecar says comes from the dump itself as it streams: the
 * row counts from its COPY blocks, the newest migration from its `_prisma_migrations` data, the
 * server version from its header. So the sidecar describes exactly what is in the file, and no
 * connection of lh-ci's own delays pg_dump's start (one is made only to explain a failure).
 */
export async function createBackup(request: BackupRequest): Promise<BackupResult> {
  const now = request.now?.() ?? new Date();
  const { startedAt, name, release } = claimBackupName(request.envName, request.gzip, destinationDir(request), now);
  let writer: BackupFileWriter | undefined;
  try {
    writer =
      "dir" in request.destination
        ? await openWriter(join(resolve(request.destination.dir), name), release)
        : undefined;
    const dumped =
      writer && !request.gzip
        ? await runDumpToFile(request, writer)
        : writer
          ? await runDump(request, writer.stream(), true)
          : await runDump(request, (request.destination as { stream: Writable }).stream, false);
    const unsigned: BackupMetadata = {
      format: SIDECAR_FORMAT,
      file: name,
      sha256: dumped.sha256,
      sizeBytes: dumped.sizeBytes,
      compression: request.gzip ? "gzip" : "none",
      environment: request.envName,
      database: request.target.database,
      serverVersion: dumped.serverVersion,
      pgDumpVersion: dumped.dumperVersion,
      createdAt: startedAt.toISOString(),
      newestMigration: dumped.newestMigration,
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
}

async function openWriter(path: string, releaseName: () => void): Promise<BackupFileWriter> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  return new BackupFileWriter(path, releaseName);
}

function destinationDir(request: BackupRequest): string | undefined {
  return "dir" in request.destination ? resolve(request.destination.dir) : undefined;
}

function pgDumpArguments(request: BackupRequest): string[] {
  return [
    "--format=plain",
    // Owners are not carried (the restoring role owns what it restores); privileges are (GRANT/REVOKE, grant-policy.ts).
    "--no-owner",
    `--lock-wait-timeout=${(request.lockTimeoutSeconds ?? DEFAULT_LOCK_TIMEOUT_SECONDS) * 1000}`,
    `--dbname=${request.target.url}`,
  ];
}

/**
 * A plain backup to a file: pg_dump writes the file itself (as fast as `pg_dump > file`), while
 * the checksum, the completeness check and the row counts read it behind pg_dump, on the other core,
 * and the file is flushed to disk behind them (so the final fsync has little left to do).
 */
async function runDumpToFile(request: BackupRequest, writer: BackupFileWriter): Promise<Dumped> {
  const dump = startChild(pgBinary("pg_dump"), pgDumpArguments(request), {
    env: childEnvironment(request.target),
    stdout: writer.fd,
    dieWithParent: true,
  });
  request.whileDumping?.();
  const { DumpReading, newlineCountingBuffer } = await readingLoadedAfterStart(dump);
  const read = new DumpReading(request.onBytes);
  const [followed, exit] = await Promise.allSettled([
    followFile(
      writer.temporaryPath,
      dump.exited,
      (chunk) => {
        read.observe(chunk);
        writer.directlyWritten(read.meter.bytes);
      },
      newlineCountingBuffer(), // the row counts are counted in place, with SIMD
    ),
    dump.exited,
  ]);
  await checkDump(request, dump, exit, followed, "reading the dump back failed");
  const dumped = read.finish();
  await writer.finishDirectWrite();
  return dumped;
}

async function runDump(request: BackupRequest, sink: Writable, endSink: boolean): Promise<Dumped> {
  const dump = startChild(pgBinary("pg_dump"), pgDumpArguments(request), {
    env: childEnvironment(request.target),
    dieWithParent: true,
  });
  request.whileDumping?.();
  const { DumpReading } = await readingLoadedAfterStart(dump); // pg_dump meanwhile fills its pipe and waits
  const stdout = dump.child.stdout;
  if (!stdout) throw new Error("pg_dump has no stdout");
  const read = new DumpReading(request.onBytes);
  // The completeness check, the row counts and the migration read the plain SQL; the checksum covers the bytes as stored.
  const streaming = request.gzip
    ? pipeline(
        stdout,
        read.edges,
        read.scanner.observer(read.migrations.look),
        (await import("node:zlib")).createGzip(),
        read.meter,
        sink,
        { end: endSink },
      )
    : pipeline(stdout, read.edges, read.scanner.observer(read.migrations.look), read.meter, sink, { end: endSink });
  const [streamed, exit] = await Promise.allSettled([streaming, dump.exited]);
  // A failed write (disk full) also makes pg_dump fail on its closed pipe: report the cause.
  await checkDump(request, dump, exit, streamed, "writing the dump failed");
  return read.finish();
}

/**
 * Every statement of the dump is checked as restore checks it. What reads and checks the dump
 * (the scanner, the SQL parser's WebAssembly, the checksum, the row counter) loads only once
 * pg_dump runs, unless the caller loaded the parser already: some 50-100 ms of this thread that
 * would otherwise delay pg_dump's start and the queries it waits for. pg_dump's first bytes wait
 * meanwhile (in the file, or its pipe). If they cannot load, pg_dump is stopped.
 */
async function readingLoadedAfterStart(dump: RunningChild) {
  try {
    const [reading] = await Promise.all([
      import("./dump-reading.ts"),
      import("../dump/statement-policy.ts").then((policy) => policy.loadStatementParser()),
    ]);
    return reading;
  } catch (error) {
    dump.child.kill("SIGKILL");
    throw new OperationError(`the dump's checks did not load: ${(error as Error).message}. No backup was written`);
  }
}

/** pg_dump's failure first (explained), then a failed read or write of the stream. */
async function checkDump(
  request: BackupRequest,
  dump: RunningChild,
  exit: PromiseSettledResult<{ code: number | null; signal: NodeJS.Signals | null }>,
  streamed: PromiseSettledResult<unknown>,
  streamFailure: string,
): Promise<void> {
  if (exit.status === "rejected") throw new OperationError(`${(exit.reason as Error).message}. No backup was written`);
  if (exit.value.code !== 0) {
    const why = await explainFailedDump(request, dump.stderrTail(), exit.value.code ?? exit.value.signal);
    throw new OperationError(`${why}. No backup was written`);
  }
  if (streamed.status === "rejected") {
    const reason = streamed.reason as Error;
    if (reason instanceof MigrationsUnreadable) throw new OperationError(`${reason.message}. No backup was written`);
    throw new OperationError(`${streamFailure}: ${reason.message}. No backup was written`);
  }
}

/**
 * Why pg_dump failed, over a connection of our own made only now: the server unreachable or the
 * login refused (said as such), a table locked past the timeout (with the session holding it), a
 * table this role may not read, or else pg_dump's own last lines.
 */
async function explainFailedDump(
  request: BackupRequest,
  stderr: string,
  exit: number | string | null,
): Promise<string> {
  const { default: pg } = await import("pg"); // loaded only to explain: a backup that succeeds never connects
  const client = new pg.Client(clientConfig(request.target, "lh-ci backup"));
  try {
    await client.connect();
  } catch (error) {
    return `cannot connect to the database ${request.target.label}: ${(error as Error).message}; check DATABASE_URL (host, port, user, password) and that the server is up`;
  }
  try {
    return stderr
      ? await explainDumpFailure(client, stderr, request.lockTimeoutSeconds ?? DEFAULT_LOCK_TIMEOUT_SECONDS)
      : `pg_dump failed: exit ${exit}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}
