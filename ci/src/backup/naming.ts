/**
 * Backup file names: `lawyers_hub_<env>_<UTC YYYYMMDDTHHMMSSZ>[-N].sql[.gz]`, with the sidecar
 * `<name>.json` beside it. The time in the name is when the dump started; retention judges age by it.
 * `-N` (2, 3, ...) tells apart backups started in the same second.
 */

const BACKUP_NAME = /^lawyers_hub_([a-z][a-z0-9-]{0,31})_(\d{8}T\d{6}Z)(?:-([2-9]|[1-9]\d{1,2}))?\.sql(\.gz)?$/;

/** Backups of one environment that may start in the same second; more means something is looping. */
export const MAX_SEQUENCE = 999;
const SIDECAR_SUFFIX = ".json";

export interface BackupName {
  /** The file name, without directory. */
  name: string;
  envName: string;
  takenAt: Date;
  /** 1 for the first backup of its second, then 2, 3... */
  sequence: number;
  gzip: boolean;
}

/** `20261125T101500Z` for a date (UTC, seconds precision). */
export function compactTimestamp(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/[-:]/g, "");
}

export function backupFileName(envName: string, takenAt: Date, gzip: boolean, sequence = 1): string {
  const suffix = sequence > 1 ? `-${sequence}` : "";
  return `lawyers_hub_${envName}_${compactTimestamp(takenAt)}${suffix}.sql${gzip ? ".gz" : ""}`;
}

/** Parses a backup file name; undefined for anything that does not match the pattern exactly. */
export function parseBackupName(name: string): BackupName | undefined {
  const match = BACKUP_NAME.exec(name);
  if (!match) return undefined;
  const [, envName = "", stamp = "", sequence, gz] = match;
  const iso = `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}Z`;
  const takenAt = new Date(iso);
  // Reject impossible dates (month 13, Feb 30) rather than letting Date roll them over.
  if (Number.isNaN(takenAt.getTime()) || compactTimestamp(takenAt) !== stamp) return undefined;
  return { name, envName, takenAt, sequence: sequence ? Number(sequence) : 1, gzip: gz !== undefined };
}

export function sidecarPathOf(backupPath: string): string {
  return `${backupPath}${SIDECAR_SUFFIX}`;
}

/** The backup name a sidecar name belongs to, when it is one. */
export function backupNameOfSidecar(name: string): BackupName | undefined {
  return name.endsWith(SIDECAR_SUFFIX) ? parseBackupName(name.slice(0, -SIDECAR_SUFFIX.length)) : undefined;
}

export function isGzipPath(path: string): boolean {
  return path.endsWith(".gz");
}
