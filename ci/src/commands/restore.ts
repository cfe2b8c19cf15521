import { resolve } from "node:path";
import { pgTarget } from "../backup/connection.ts";
import { backupDirectory } from "../backup/default-dir.ts";
import { displayPath, formatBytes } from "../backup/format.ts";
import { Progress } from "../backup/progress.ts";
import { type SigningKey, signingKeyFor } from "../backup/signing-key.ts";
import type { Command } from "../cli/command.ts";
import { ExitCode } from "../cli/exit-codes.ts";
import { reportBackupToPushgateway } from "../pushgateway/report-backup.ts";
import { confirmRestore } from "../restore/confirm.ts";
import { restoreBackup } from "../restore/restore-backup.ts";
import { stateDirFor } from "../state/context.ts";

/** `lh-ci restore FILE`: replace the database with a proven backup, in one transaction. */
export const restore: Command = {
  name: "restore",
  summary: "restore a backup over the database (verified first, safety backup, one transaction)",
  help: `Usage: lh-ci restore FILE [--env staging] [--yes] [--allow-cross-env] [--allow-unsigned] [--allow-superuser]
                       [--backup-dir DIR]

Before changing anything: checks FILE (.sql or .sql.gz) against its sidecar FILE.json (size, and
its signature, made with this environment's key: BACKUP_SIGNING_KEY, else the key file in the
state directory), refuses a file renamed from the name it was signed under, and a backup of
another environment or database unless --allow-cross-env, refuses to run as a superuser (the
restore runs as the application role, DATABASE_URL's user) unless --allow-superuser, and asks you to type the environment name (or takes --yes; without a terminal
and without --yes it refuses). Then backs up the current database (a normal backup, named in the
output), ends the other sessions on the database, and loads FILE in ONE transaction, reading it
once over its own connection, each checked statement alone: only data and definitions pass (no
psql meta-commands, transaction control, DO blocks...), a function that changes how SQL is read
(standard_conforming_strings, client_encoding) stops the load, and COMMIT is sent only when its sha256, completeness and every table's row count match the
sidecar. If anything fails, the transaction is rolled back, and the database is checked against
the safety backup's record before saying it is as it was. Finally reports every table's row count
(as the server loaded them) and the newest migration.

Options:
  --yes               confirm without asking
  --allow-cross-env   accept a backup taken in another environment or of another database
  --allow-unsigned    DANGEROUS: accept a backup without a valid signature of this environment's
                      key (a dump you made yourself and trust; the content checks still apply)
  --allow-superuser   restore although DATABASE_URL connects as a superuser (said loudly in the
                      output); the objects it creates are then the superuser's, not the app's
  --backup-dir DIR    where the safety backup goes (default $LH_BACKUP_DIR, else backups/<env>)`,
  options: {
    yes: { type: "boolean", default: false },
    "allow-cross-env": { type: "boolean", default: false },
    "allow-unsigned": { type: "boolean", default: false },
    "allow-superuser": { type: "boolean", default: false },
    "backup-dir": { type: "string" },
  },
  positionals: [1, 1],
  async run(context) {
    const { values, positionals, out, cwd, envName, loadConfig, stdin, processEnv } = context;
    const { config } = loadConfig(["DATABASE_URL", "PUSHGATEWAY_URL", "BACKUP_SIGNING_KEY"]);
    const target = pgTarget(config.DATABASE_URL);
    const path = resolve(cwd, positionals[0] ?? "");
    const backupDir = backupDirectory(values["backup-dir"], envName, cwd, processEnv);
    const stateDir = stateDirFor(context);
    const outcome = await restoreBackup({
      target,
      path,
      envName,
      allowCrossEnv: values["allow-cross-env"] === true,
      signingKey: signingKeyFor({ configured: config.BACKUP_SIGNING_KEY, stateDir, create: false }),
      allowUnsigned: values["allow-unsigned"] === true,
      allowSuperuser: values["allow-superuser"] === true,
      safetyBackupKey: () =>
        signingKeyFor({ configured: config.BACKUP_SIGNING_KEY, stateDir, create: true }) as SigningKey,
      backupDir,
      step: (line) => out.info(line),
      onBytes: (verb) => {
        const progress = new Progress((line) => out.info(line), verb);
        return (total) => progress.update(total);
      },
      confirm: (metadata) =>
        confirmRestore({
          envName,
          yes: values.yes === true,
          stdin,
          prompt: process.stderr,
          question: `This replaces everything in ${target.label} (${envName}) with ${metadata.file}, taken ${metadata.createdAt} from ${metadata.environment}/${metadata.database}.`,
        }),
    });
    const safety = outcome.safetyBackup;
    if (outcome.signature !== "valid") out.warn(`signature of ${outcome.metadata.file}: ${outcome.signature}`);
    out.info(
      `Safety backup of the previous database: ${displayPath(safety.path ?? "", cwd)} (${formatBytes(safety.metadata.sizeBytes)})`,
    );
    await reportBackupToPushgateway(config.PUSHGATEWAY_URL, envName, safety.metadata.sizeBytes, out);
    if (outcome.sessions.ended > 0 || outcome.sessions.refused > 0) {
      out.info(`Ended ${outcome.sessions.ended} other session(s) on the database.`);
    }
    if (outcome.sessions.refused > 0) {
      out.warn(`${outcome.sessions.refused} session(s) could not be ended (this role may not); they were waited for`);
    }
    const report = {
      restored: path,
      environment: envName,
      database: target.database,
      safetyBackup: safety.path,
      newestMigration: outcome.newestMigration,
      tables: outcome.tables,
      signature: outcome.signature,
      seconds: outcome.seconds,
    };
    if (values.json) {
      out.result(JSON.stringify(report));
    } else {
      out.result(`Restored ${displayPath(path, cwd)} into ${target.label} (${envName}).`);
      for (const [table, rows] of Object.entries(outcome.tables)) out.result(`  ${table}: ${rows} rows`);
      out.result(`Newest applied migration: ${outcome.newestMigration ?? "none (no _prisma_migrations table)"}`);
      out.result(`Safety backup: ${displayPath(safety.path ?? "", cwd)}`);
      const { verify, safetyBackup, restore: load, rowCounts } = outcome.seconds;
      out.result(`Took: verify ${verify}s, safety backup ${safetyBackup}s, restore ${load}s, row counts ${rowCounts}s`);
    }
    return ExitCode.ok;
  },
};
