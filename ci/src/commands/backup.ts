import { pgTarget } from "../backup/connection.ts";
import { createBackup } from "../backup/create-backup.ts";
import { backupDirectory } from "../backup/default-dir.ts";
import { displayPath, formatBytes } from "../backup/format.ts";
import { Progress } from "../backup/progress.ts";
import { signingKeyFor } from "../backup/signing-key.ts";
import type { Command } from "../cli/command.ts";
import { ExitCode, UsageError } from "../cli/exit-codes.ts";
import { reportBackupToPushgateway } from "../pushgateway/report-backup.ts";
import { stateDirFor } from "../state/context.ts";

/** `lh-ci backup`: a verified plain SQL dump with its checksum sidecar. */
export const backup: Command = {
  name: "backup",
  summary: "back up the database (plain SQL dump + sha256 sidecar with row counts)",
  help: `Usage: lh-ci backup [--env staging] [--out DIR | --stdout] [--gzip] [--lock-timeout SECONDS]

Dumps DATABASE_URL with pg_dump (plain SQL, --no-owner; grants are kept) into
DIR/lawyers_hub_<env>_<UTC YYYYMMDDTHHMMSSZ>.sql (.sql.gz with --gzip; -2, -3... for more backups
started in the same second), mode 0600, beside a
sidecar <file>.json recording sha256, size, environment, database, server version, creation
time, the newest applied Prisma migration and the row count of every table (counted from the
dump's own COPY blocks, so exactly the rows in the file). The sidecar is always
signed (HMAC-SHA256) with the environment's key: BACKUP_SIGNING_KEY when set, else the key file in
the state directory, made on the first backup; restore accepts only backups signed with it. The file appears under its name only when the dump is complete and
on disk. The last line of stdout is the path of the backup. Every statement of the dump is checked
as restore checks it: a database holding what restore refuses (default privileges, a foreign
server, a privilege on a system object...) fails the backup, naming the statement and why, and no
backup is written (docs/runbook.md, "What a backup refuses").

Options:
  --out DIR   where to write (default $LH_BACKUP_DIR, else backups/<env>)
  --stdout    stream the dump to stdout instead (to copy it out of a container); the sidecar
              JSON is then the last line on stderr: save it as <file>.json beside the dump
  --gzip      compress (gzip)
  --lock-timeout SECONDS
              how long to wait for a table another session holds locked (default 60); the
              error names the table and the session holding it

With PUSHGATEWAY_URL set, a successful backup pushes lawyers_hub_backup_last_success_timestamp_seconds
and lawyers_hub_backup_size_bytes (job lawyers_hub_backup, label env); a failed push is a warning.`,
  options: {
    out: { type: "string" },
    stdout: { type: "boolean", default: false },
    gzip: { type: "boolean", default: false },
    "lock-timeout": { type: "string" },
  },
  async run(context) {
    const { values, out, cwd, envName, loadConfig, processEnv } = context;
    if (values.stdout && values.out !== undefined) {
      throw new UsageError("backup: --out and --stdout exclude each other; pass one of them");
    }
    const { config } = loadConfig(["DATABASE_URL", "PUSHGATEWAY_URL", "BACKUP_SIGNING_KEY"]);
    const target = pgTarget(config.DATABASE_URL);
    const gzip = values.gzip === true;
    const lockTimeoutSeconds = lockTimeoutOption(values["lock-timeout"]);
    // Every backup is signed: with BACKUP_SIGNING_KEY, else the environment's own key (made now on first use).
    const signingKey = signingKeyFor({
      configured: config.BACKUP_SIGNING_KEY,
      stateDir: stateDirFor(context),
      create: true,
    })?.key;
    const progress = new Progress((line) => out.info(line), "backup: written");
    const onBytes = (total: number) => progress.update(total);

    if (values.stdout) {
      out.info(`Backing up ${target.label} (${envName}) to stdout...`);
      const { metadata } = await createBackup({
        target,
        envName,
        gzip,
        destination: { stream: out.rawStdout },
        onBytes,
        lockTimeoutSeconds,
        signingKey,
      });
      await reportBackupToPushgateway(config.PUSHGATEWAY_URL, envName, metadata.sizeBytes, out);
      out.info(`Backup streamed: ${metadata.file} (${formatBytes(metadata.sizeBytes)}); its sidecar follows.`);
      out.info(JSON.stringify(metadata));
      return ExitCode.ok;
    }

    const dir = backupDirectory(values.out, envName, cwd, processEnv);
    out.info(`Backing up ${target.label} (${envName}) into ${displayPath(dir, cwd)}...`);
    const { path = "", metadata } = await createBackup({
      target,
      envName,
      gzip,
      destination: { dir },
      onBytes,
      lockTimeoutSeconds,
      signingKey,
    });
    const tables = Object.keys(metadata.tables).length;
    out.info(
      `Backup written: ${displayPath(path, cwd)} (${formatBytes(metadata.sizeBytes)}, ${tables} table${tables === 1 ? "" : "s"}, newest migration ${metadata.newestMigration ?? "none"}), sidecar ${metadata.file}.json`,
    );
    await reportBackupToPushgateway(config.PUSHGATEWAY_URL, envName, metadata.sizeBytes, out);
    out.result(values.json ? JSON.stringify({ path, ...metadata }) : displayPath(path, cwd));
    return ExitCode.ok;
  },
};

function lockTimeoutOption(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (typeof value !== "string" || !/^\d+$/.test(value) || seconds < 1 || seconds > 86_400) {
    throw new UsageError("--lock-timeout: pass a whole number of seconds between 1 and 86400");
  }
  return seconds;
}
