import { OperationError } from "../cli/exit-codes.ts";
import { DumpRefused, DumpScanner } from "../dump/dump-scanner.ts";
import { ByteMeter } from "./byte-meter.ts";
import type { RowCounts } from "./database-facts.ts";
import { DumpEdges } from "./dump-edges.ts";
import { NewestMigrationInDump } from "./migrations-in-dump.ts";
import { pgDumpVersion } from "./pg-dump-version.ts";

export { newlineCountingBuffer } from "../dump/newline-count.ts";

export interface Dumped {
  sha256: string;
  sizeBytes: number;
  /** Rows per table, counted from the COPY blocks of the dump as it streamed. */
  tables: RowCounts;
  /** The pg_dump version its header names (no second process to ask it). */
  dumperVersion: string;
  /** The server's version, as the dump's header names it. */
  serverVersion: string;
  /** From the dump's `_prisma_migrations` data (migrations-in-dump.ts). */
  newestMigration: string | null;
}

/** What is learnt from the dump as it streams: its edges, its statements and rows, its migrations, its checksum. */
export class DumpReading {
  readonly edges = new DumpEdges();
  readonly scanner = new DumpScanner(); // what restore would refuse fails the backup now, not at restore
  readonly migrations = new NewestMigrationInDump();
  readonly meter: ByteMeter;

  constructor(onBytes?: (total: number) => void) {
    this.meter = new ByteMeter(onBytes);
  }

  observe(chunk: Buffer): void {
    this.edges.observe(chunk);
    this.meter.observe(chunk);
    this.scanner.observe(chunk, this.migrations.look);
  }

  finish(): Dumped {
    const problem = this.edges.problem();
    if (problem) throw new OperationError(`pg_dump's output is not a complete dump: ${problem}. No backup was written`);
    try {
      this.scanner.finish();
    } catch (error) {
      if (error instanceof DumpRefused) throw new OperationError(`${refusal(error)}. No backup was written`);
      throw error;
    }
    return {
      sha256: this.meter.digest(),
      sizeBytes: this.meter.bytes,
      tables: this.scanner.rowCounts(),
      dumperVersion: this.edges.dumperVersion() ?? pgDumpVersion(),
      serverVersion: this.edges.serverVersion() ?? "unknown",
      newestMigration: this.migrations.newest(),
    };
  }
}

/** The statement restore would refuse, and why: a backup that can never be restored is not written. */
function refusal(error: DumpRefused): string {
  return `the database holds something restore refuses, so this backup could never be restored: ${error.message}. Change or remove that object (docs/runbook.md, "What a backup refuses")`;
}
