import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import pg from "pg";
import { OperationError } from "../cli/exit-codes.ts";
import { BackupFileWriter } from "./backup-file-writer.ts";
import { ByteMeter } from "./byte-meter.ts";
import { lastLines, startChild } from "./child-process.ts";
import { claimBackupName } from "./claim-name.ts";
import { childEnvironment, clientConfig, type PgTarget } from "./connection.ts";
import { newestMigration, rowCounts, serverVersion } from "./database-facts.ts";
import { DumpEdges } from "./dump-edges.ts";
import { followFile } from "./follow-file.ts";
import { pgDumpVersion } from "./pg-dump-version.ts";
import { type BackupMetadata, SIDECAR_FORMAT } from "./sidecar.ts";

export interface BackupRequest {
  target: PgTarget;
  envName: string;
  gzip: boolean;
  /** A directory to write the backup into, or a stream to send the dump to (`--stdout`). */
  destination: { dir: string } | { stream: Writable };
  /** Called with the bytes written so far, as the dump streams. */
  onBytes?: (total: number) => void;
  now?: () => Date;
}

export interface BackupResult {
  /** Absolute path of the backup, when written to a directory. */
  path?: string;
  metadata: BackupMetadata;
}

/**
 * Dumps the database in plain SQL. The row counts and the newest migration are read in the very
 * snapshot pg_dump dumps (exported by our transaction, imported with --snapshot), so the sidecar
 * describes exactly the rows in the file.
 */
export async function createBackup(request: BackupRequest): Promise<BackupResult> {
  const client = new pg.Client(clientConfig(request.target, "lh-ci backup"));
  try {
    await client.connect();
  } catch (error) {
    throw new OperationError(
      `cannot connect to the database ${request.target.label}: ${(error as Error).message}; check DATABASE_URL (host, port, user, password) and that the server is up. No backup was written`,
    );
  }
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const snapshot = (await client.query<{ id: string }>("SELECT pg_export_snapshot() AS id")).rows[0]?.id ?? "";
    const version = await serverVersion(client);
    const now = request.now?.() ?? new Date();
    const { startedAt, name, release } = claimBackupName(request.envName, request.gzip, destinationDir(request), now);
    // Counted while pg_dump runs, in the same snapshot.
    const facts = Promise.all([rowCounts(client), newestMigration(client)]);
    facts.catch(() => undefined); // awaited below; an early failure must not go unhandled meanwhile

    const writer =
      "dir" in request.destination
        ? await openWriter(join(resolve(request.destination.dir), name), release)
        : undefined;
    try {
      const dumped =
        writer && !request.gzip
          ? await runDumpToFile(request, snapshot, writer)
          : writer
            ? await runDump(request, snapshot, writer.stream(), true)
            : await runDump(request, snapshot, (request.destination as { stream: Writable }).stream, false);
      const [tables, migration] = await facts;
      const metadata: BackupMetadata = {
        format: SIDECAR_FORMAT,
        file: name,
        sha256: dumped.sha256,
        sizeBytes: dumped.sizeBytes,
        compression: request.gzip ? "gzip" : "none",
        environment: request.envName,
        database: request.target.database,
        serverVersion: version,
        pgDumpVersion: pgDumpVersion(),
        createdAt: startedAt.toISOString(),
        newestMigration: migration,
        tables,
      };
      await writer?.commit(metadata);
      return { path: writer?.path, metadata };
    } catch (error) {
      await writer?.discard();
      throw error;
    } finally {
      release();
    }
  } finally {
    await client.end().catch(() => undefined);
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
    "--no-owner",
    "--no-privileges",
    `--snapshot=${snapshot}`,
    `--dbname=${request.target.url}`,
  ];
}

/**
 * A plain backup to a file: pg_dump writes the file itself (as fast as `pg_dump > file`), while
 * the checksum and the completeness check read it behind pg_dump, on the other core.
 */
async function runDumpToFile(
  request: BackupRequest,
  snapshot: string,
  writer: BackupFileWriter,
): Promise<{ sha256: string; sizeBytes: number }> {
  const dump = startChild("pg_dump", pgDumpArguments(request, snapshot), {
    env: childEnvironment(request.target),
    stdout: writer.fd,
  });
  const edges = new DumpEdges();
  const meter = new ByteMeter(request.onBytes);
  const [read, exit] = await Promise.allSettled([
    followFile(writer.temporaryPath, dump.exited, (chunk) => {
      edges.observe(chunk);
      meter.observe(chunk);
    }),
    dump.exited,
  ]);
  if (exit.status === "rejected") throw new OperationError(`${(exit.reason as Error).message}. No backup was written`);
  if (read.status === "rejected") {
    throw new OperationError(`reading the dump back failed: ${(read.reason as Error).message}. No backup was written`);
  }
  if (exit.value.code !== 0) {
    const why = lastLines(dump.stderrTail()) || `exit ${exit.value.code ?? exit.value.signal}`;
    throw new OperationError(`pg_dump failed: ${why}. No backup was written`);
  }
  const problem = edges.problem();
  if (problem) throw new OperationError(`pg_dump's output is not a complete dump: ${problem}. No backup was written`);
  writer.finishDirectWrite();
  return { sha256: meter.digest(), sizeBytes: meter.bytes };
}

async function runDump(
  request: BackupRequest,
  snapshot: string,
  sink: Writable,
  endSink: boolean,
): Promise<{ sha256: string; sizeBytes: number }> {
  const dump = startChild("pg_dump", pgDumpArguments(request, snapshot), { env: childEnvironment(request.target) });
  const stdout = dump.child.stdout;
  if (!stdout) throw new Error("pg_dump has no stdout");
  const edges = new DumpEdges();
  const meter = new ByteMeter(request.onBytes);
  // The completeness check reads the plain SQL; the checksum covers the bytes as stored.
  const streaming = request.gzip
    ? pipeline(stdout, edges, createGzip(), meter, sink, { end: endSink })
    : pipeline(stdout, edges, meter, sink, { end: endSink });
  const [streamed, exit] = await Promise.allSettled([streaming, dump.exited]);
  if (exit.status === "rejected") throw new OperationError(`${(exit.reason as Error).message}. No backup was written`);
  // A failed write (disk full) also makes pg_dump fail on its closed pipe: report the cause.
  if (streamed.status === "rejected") {
    throw new OperationError(`writing the dump failed: ${(streamed.reason as Error).message}. No backup was written`);
  }
  if (exit.value.code !== 0) {
    const why = lastLines(dump.stderrTail()) || `exit ${exit.value.code ?? exit.value.signal}`;
    throw new OperationError(`pg_dump failed: ${why}. No backup was written`);
  }
  const problem = edges.problem();
  if (problem) throw new OperationError(`pg_dump's output is not a complete dump: ${problem}. No backup was written`);
  return { sha256: meter.digest(), sizeBytes: meter.bytes };
}
