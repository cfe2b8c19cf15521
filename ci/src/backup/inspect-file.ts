import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { DumpRefused, DumpScanner } from "../dump/dump-scanner.ts";
import { loadStatementParser } from "../dump/statement-policy.ts";
import { ByteMeter } from "./byte-meter.ts";
import { DumpEdges } from "./dump-edges.ts";
import { openRegularFile } from "./open-regular-file.ts";

export interface FileInspection {
  /** sha256 of the file's bytes; undefined when a broken gzip stream stopped the read. */
  sha256?: string;
  /** Why the content is not a complete plain pg_dump (or not valid gzip), or undefined. */
  incomplete?: string;
  /** Why restore would refuse the dump's content (dump-scanner), or undefined. */
  refused?: string;
}

/** One read of a backup file: its checksum, and whether the (decompressed) dump is complete. */
export async function inspectBackupFile(
  path: string,
  gzip: boolean,
  onBytes?: (total: number) => void,
): Promise<FileInspection> {
  await loadStatementParser();
  const meter = new ByteMeter(onBytes);
  const edges = new DumpEdges();
  const scanner = new DumpScanner();
  const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  if (!gzip) {
    await pipeline(openRegularFile(path), meter, edges, scanner.observer(), discard);
    return { sha256: meter.digest(), incomplete: edges.problem(), refused: refusal(scanner) };
  }
  try {
    await pipeline(openRegularFile(path), meter, createGunzip(), edges, scanner.observer(), discard);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code?.startsWith("Z_") || /unexpected end of file/.test(String(error))) {
      return { incomplete: `it is not a valid gzip file (${(error as Error).message})` };
    }
    throw error;
  }
  return { sha256: meter.digest(), incomplete: edges.problem(), refused: refusal(scanner) };
}

function refusal(scanner: DumpScanner): string | undefined {
  try {
    scanner.finish();
    return undefined;
  } catch (error) {
    if (error instanceof DumpRefused) return error.message;
    throw error;
  }
}
