import { existsSync, statSync } from "node:fs";
import { basename } from "node:path";
import { OperationError } from "../cli/exit-codes.ts";
import { formatBytes } from "./format.ts";
import { inspectBackupFile } from "./inspect-file.ts";
import { isGzipPath } from "./naming.ts";
import { type BackupMetadata, readSidecar } from "./sidecar.ts";

/**
 * Proves a backup file is the one `lh-ci backup` wrote, whole: its sidecar exists and is valid,
 * size and sha256 match it, and the dump inside ends with pg_dump's completion marker.
 * Throws an OperationError saying what is wrong otherwise. One read of the file.
 */
export async function verifyBackupFile(path: string, onBytes?: (total: number) => void): Promise<BackupMetadata> {
  const name = basename(path);
  if (!existsSync(path)) {
    throw new OperationError(`backup ${path} does not exist; pass the path of a .sql or .sql.gz backup file`);
  }
  if (!statSync(path).isFile()) {
    throw new OperationError(`backup ${path} is not a regular file; pass the path of a .sql or .sql.gz backup file`);
  }
  const metadata = readSidecar(path);
  const gzip = isGzipPath(path);
  if ((metadata.compression === "gzip") !== gzip) {
    throw new OperationError(
      `${name}: its sidecar records ${metadata.compression === "gzip" ? "a gzip" : "an uncompressed"} backup but the name says otherwise; use the backup under its original name`,
    );
  }
  const size = statSync(path).size;
  const inspection = await inspectBackupFile(path, gzip, onBytes);
  if (size !== metadata.sizeBytes) {
    throw new OperationError(
      `${name} is ${formatBytes(size)} (${size} bytes) but its sidecar records ${formatBytes(metadata.sizeBytes)} (${metadata.sizeBytes} bytes): the file is truncated or was changed; use another backup`,
    );
  }
  if (inspection.sha256 !== metadata.sha256) {
    throw new OperationError(
      `${name} does not match the sha256 in its sidecar: the file is corrupted or was changed after the backup; use another backup`,
    );
  }
  if (inspection.incomplete) {
    throw new OperationError(`${name} is not a complete backup: ${inspection.incomplete}; use another backup`);
  }
  return metadata;
}
