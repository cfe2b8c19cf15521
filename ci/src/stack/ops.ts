/**
 * Arguments of the `lh-ci` commands run in the ops container (after `lh-ci`), each ending with the
 * environment. Plain data, tested by comparing the joined line.
 */
import { OPS_BACKUP_DIR, OPS_MIGRATIONS_DIR, OPS_PROJECT_DIR } from "./compose.ts";

/** What the ledger records of a release (see ci/src/releases/release.ts). */
export interface RecordedRelease {
  commit: string;
  result: string;
  startedAt: string;
  finishedAt: string;
  note?: string;
}

/** How long a deploy may hold the lock before someone else may take it over. */
export const LOCK_TTL = "45m";

export const opsArgs = {
  lockAcquire: (env: string, owner: string, commit: string, reason: string) => [
    "lock",
    "acquire",
    "--owner",
    owner,
    "--commit",
    commit,
    "--reason",
    reason,
    "--ttl",
    LOCK_TTL,
    "--env",
    env,
  ],
  lockRelease: (env: string, owner: string) => ["lock", "release", "--owner", owner, "--env", env],
  lockStatus: (env: string, json: boolean) => ["lock", "status", ...(json ? ["--json"] : []), "--env", env],
  backup: (env: string) => ["backup", "--out", OPS_BACKUP_DIR, "--env", env],
  backupPrune: (env: string) => ["backup", "prune", "--dir", OPS_BACKUP_DIR, "--keep-days", "7", "--env", env],
  restore: (env: string, name: string, allow: { crossEnv: boolean; unsigned: boolean }) => [
    "restore",
    `${OPS_BACKUP_DIR}/${name}`,
    "--yes",
    ...(allow.crossEnv ? ["--allow-cross-env"] : []),
    ...(allow.unsigned ? ["--allow-unsigned"] : []),
    "--backup-dir",
    OPS_BACKUP_DIR,
    "--env",
    env,
  ],
  migrationsCheck: (env: string, allowDestructive: boolean) => [
    "migrations",
    "check",
    "--migrations-dir",
    OPS_MIGRATIONS_DIR,
    ...(allowDestructive ? ["--allow-destructive"] : []),
    "--env",
    env,
  ],
  migrationsStatus: (env: string) => ["migrations", "status", "--migrations-dir", OPS_MIGRATIONS_DIR, "--env", env],
  /** The digest of the host's project directory, as the ops session mounts it. */
  projectDigest: () => ["project", "digest", OPS_PROJECT_DIR],
  verify: (env: string, timeout: string) => [
    "verify",
    "--timeout",
    timeout,
    "--migrations-dir",
    OPS_MIGRATIONS_DIR,
    "--env",
    env,
  ],
  releasesRecord: (env: string, entry: RecordedRelease, images: Readonly<Record<string, string>>, by: string) => [
    "releases",
    "record",
    "--commit",
    entry.commit,
    ...Object.entries(images).flatMap(([service, ref]) => ["--image", `${service}=${ref}`]),
    "--by",
    by,
    "--started",
    entry.startedAt,
    "--finished",
    entry.finishedAt,
    "--result",
    entry.result,
    ...(entry.note ? ["--note", entry.note] : []),
    "--env",
    env,
  ],
  releasesListJson: (env: string) => ["releases", "list", "--limit", "0", "--json", "--env", env],
  releasesCurrent: (env: string) => ["releases", "current", "--env", env],
  releasesPrevious: (env: string) => ["releases", "previous", "--env", env],
} as const;
