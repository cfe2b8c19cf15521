import { resolve } from "node:path";

/**
 * Where backups go when no directory is given: `$LH_BACKUP_DIR` when set (the ops image sets it to
 * its backups volume, so a backup taken by hand in `docker compose run --rm ops` is not lost with
 * the container), else `backups/<env>` under the current directory, where scripts/ expects them.
 */
export function backupDirectory(
  explicit: unknown,
  envName: string,
  cwd: string,
  processEnv: Record<string, string | undefined>,
): string {
  if (typeof explicit === "string") return resolve(cwd, explicit);
  const configured = processEnv.LH_BACKUP_DIR;
  return resolve(cwd, configured ? configured : `backups/${envName}`);
}
