import { basename } from "node:path";
import { z } from "zod";
import { OperationError } from "../cli/exit-codes.ts";
import { escapeControl, hasControl } from "../output/escape-control.ts";
import { readRegularFile, SmallFileError } from "../state/read-regular-file.ts";
import { sidecarPathOf } from "./naming.ts";

export const SIDECAR_FORMAT = "lh-ci-backup/1";

/**
 * What `lh-ci backup` records beside every backup, and what verify and restore check against.
 * Built when a sidecar is first read, not when this module loads: a backup only writes one, and
 * its start is timed against bare pg_dump.
 */
function buildSidecarSchema() {
  return z.object({
    format: z.literal(SIDECAR_FORMAT),
    /** File name of the backup (no directory: backups move between machines). */
    file: z.string(),
    /** sha256 (hex) of the file's bytes, compressed or not. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    sizeBytes: z.number().int().nonnegative(),
    compression: z.enum(["none", "gzip"]),
    environment: z.string(),
    database: z.string(),
    serverVersion: z.string(),
    pgDumpVersion: z.string(),
    createdAt: z.string(),
    newestMigration: z.string().nullable(),
    /** Rows per table (`schema.table`) in the snapshot the dump was taken from. */
    tables: z.record(z.string(), z.number().int().nonnegative()),
    /** `hmac-sha256:<hex>` of every other field, with BACKUP_SIGNING_KEY (see signature.ts). */
    signature: z
      .string()
      .regex(/^hmac-sha256:[0-9a-f]{64}$/)
      .optional(),
  });
}

let sidecarSchema: ReturnType<typeof buildSidecarSchema> | undefined;

export type BackupMetadata = z.infer<ReturnType<typeof buildSidecarSchema>>;

export function serializeSidecar(metadata: BackupMetadata): string {
  return `${JSON.stringify(metadata, null, 2)}\n`;
}

/** A sidecar lists a row count per table: a few MiB is tens of thousands of tables, far beyond any real one. */
const SIDECAR_LIMIT_BYTES = 4 * 1024 * 1024;

/** Fields an operator reads in messages: a sidecar lh-ci wrote never has control characters in them. */
const PRINTED_FIELDS = [
  "file",
  "environment",
  "database",
  "serverVersion",
  "pgDumpVersion",
  "createdAt",
  "newestMigration",
] as const;

/** Reads and validates the sidecar of a backup; every failure says what to do. */
export function readSidecar(backupPath: string): BackupMetadata {
  const path = sidecarPathOf(backupPath);
  const name = escapeControl(basename(path));
  let text: string;
  try {
    text = readRegularFile(path, SIDECAR_LIMIT_BYTES).toString("utf8");
  } catch (error) {
    if (!(error instanceof SmallFileError)) throw error;
    if (error.problem === "missing") {
      throw new OperationError(
        `${escapeControl(basename(backupPath))} has no sidecar ${name} beside it, so its checksum and completeness cannot be proven; ` +
          "use a backup taken by lh-ci backup together with its .json file (for backup --stdout, save the JSON it printed last on stderr as FILE.json)",
      );
    }
    throw new OperationError(
      `sidecar ${name} ${error.message}, so it is not an lh-ci backup record; restore its original copy or use another backup`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new OperationError(`sidecar ${name} is not valid JSON; restore its original copy or use another backup`);
  }
  sidecarSchema ??= buildSidecarSchema();
  const parsed = sidecarSchema.safeParse(data);
  if (!parsed.success) {
    const problem = parsed.error.issues[0];
    const where = escapeControl(problem?.path.join(".") || "content");
    throw new OperationError(
      `sidecar ${name} is not an lh-ci backup record (${where}: ${problem?.message}); restore its original copy or use another backup`,
    );
  }
  const garbled = PRINTED_FIELDS.find((field) => hasControl(parsed.data[field] ?? ""));
  if (garbled) {
    throw new OperationError(
      `sidecar ${name} is not an lh-ci backup record (${garbled}: holds control characters); restore its original copy or use another backup`,
    );
  }
  return parsed.data;
}
