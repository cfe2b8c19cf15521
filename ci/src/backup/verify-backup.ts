import { existsSync, statSync } from "node:fs";
import { basename } from "node:path";
import { OperationError } from "../cli/exit-codes.ts";
import { formatBytes } from "./format.ts";
import { inspectBackupFile } from "./inspect-file.ts";
import { isGzipPath } from "./naming.ts";
import { type BackupMetadata, readSidecar } from "./sidecar.ts";

/**
 * What can be proven about a backup without reading it: it exists, its sidecar is valid and agrees
 * with its name and its size. Restore checks the rest (sha256, completeness, content) as it loads.
 */
export function checkBackupRecord(path: string): BackupMetadata {
  const name = basename(path);
  if (!existsSync(path)) {
    throw new OperationError(`backup ${path} does not exist; pass the path of a .sql or .sql.gz backup file`);
  }
  if (!statSync(path).isFile()) {
    throw new OperationError(`backup ${path} is not a regular file; pass the path of a .sql or .sql.gz backup file`);
  }
  const metadata = readSidecar(path);
  if ((metadata.compression === "gzip") !== isGzipPath(path)) {
    throw new OperationError(
      `${name}: its sidecar records ${metadata.compression === "gzip" ? "a gzip" : "an uncompressed"} backup but the name says otherwise; use the backup under its original name`,
    );
  }
  const size = statSync(path).size;
  if (size !== metadata.sizeBytes) {
    throw new OperationError(
      `${name} is ${formatBytes(size)} (${size} bytes) but its sidecar records ${formatBytes(metadata.sizeBytes)} (${metadata.sizeBytes} bytes): the file is truncated or was changed; use another backup`,
    );
  }
  return metadata;
}

/**
 * Proves a backup file is the one `lh-ci backup` wrote, whole: its sidecar exists and is valid,
 * size and sha256 match it, the dump inside ends with pg_dump's completion marker, and it holds
 * nothing but data and definitions. Throws an OperationError saying what is wrong otherwise. One read.
 */
export async function verifyBackupFile(path: string, onBytes?: (total: number) => void): Promise<BackupMetadata> {
  const name = basename(path);
  const metadata = checkBackupRecord(path);
  const inspection = await inspectBackupFile(path, isGzipPath(path), onBytes);
  if (inspection.sha256 !== metadata.sha256) {
    throw new OperationError(
      `${name} does not match the sha256 in its sidecar: the file is corrupted or was changed after the backup; use another backup`,
    );
  }
  if (inspection.incomplete) {
    throw new OperationError(`${name} is not a complete backup: ${inspection.incomplete}; use another backup`);
  }
  if (inspection.refused) {
    throw new OperationError(
      `${name} holds more than data and definitions, so restore would refuse it: ${inspection.refused}; use another backup`,
    );
  }
  return metadata;
}
