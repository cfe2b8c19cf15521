import { resolve } from "node:path";
import { checkBinding } from "../backup/binding.ts";
import { pgTarget } from "../backup/connection.ts";
import { displayPath, formatBytes } from "../backup/format.ts";
import { Progress } from "../backup/progress.ts";
import { restoreTest } from "../backup/restore-test.ts";
import { checkSignature } from "../backup/signature.ts";
import { signingKeyFor } from "../backup/signing-key.ts";
import { checkBackupRecord, verifyBackupFile } from "../backup/verify-backup.ts";
import type { Command } from "../cli/command.ts";
import { ExitCode, OperationError } from "../cli/exit-codes.ts";
import { stateDirFor } from "../state/context.ts";

/** `lh-ci backup verify FILE`: checksum and completeness, and with --restore-test a real restore. */
export const backupVerify: Command = {
  name: "backup verify",
  summary: "prove a backup is whole (sha256 + completeness), optionally by restoring it to a scratch database",
  help: `Usage: lh-ci backup verify FILE [--restore-test] [--allow-unsigned]

Checks FILE against its sidecar FILE.json: size and sha256 must match, the dump must end with
pg_dump's completion marker (a truncated dump is caught) and hold only data and definitions (what
restore accepts), and, checked first, the sidecar must carry a valid signature made with this
environment's key (BACKUP_SIGNING_KEY, else the key file in the state directory) for this file
name, this environment (--env) and, with --restore-test, the database of DATABASE_URL.
Exit 0 when it holds, 1 when not.

Options:
  --allow-unsigned  DANGEROUS: accept a backup without a valid signature (a dump you made and trust)
  --allow-cross-env accept a backup of another environment or database
  --restore-test   also restore FILE into a scratch database on the server of DATABASE_URL,
                   compare every table's row count with the sidecar, and drop the scratch
                   database (the role needs CREATEDB)`,
  options: {
    "restore-test": { type: "boolean", default: false },
    "allow-unsigned": { type: "boolean", default: false },
    "allow-cross-env": { type: "boolean", default: false },
  },
  positionals: [1, 1],
  async run(context) {
    const { values, positionals, out, cwd, loadConfig, envName } = context;
    const path = resolve(cwd, positionals[0] ?? "");
    const shown = displayPath(path, cwd);
    // Configuration only matters for the test restore; a plain check needs no database.
    const { config } = loadConfig(
      values["restore-test"] ? ["DATABASE_URL", "BACKUP_SIGNING_KEY"] : ["BACKUP_SIGNING_KEY"],
    );
    const target = values["restore-test"] && config.DATABASE_URL ? pgTarget(config.DATABASE_URL) : undefined;
    out.info(`Verifying ${shown} against its sidecar...`);
    // Trust before content: signature, file name, environment and database, before the file is read.
    const key = signingKeyFor({ configured: config.BACKUP_SIGNING_KEY, stateDir: stateDirFor(context), create: false });
    const allowUnsigned = values["allow-unsigned"] === true;
    const allowCrossEnv = values["allow-cross-env"] === true;
    const record = checkBackupRecord(path);
    const signature = checkSignature(record, key, allowUnsigned);
    checkBinding(record, { path, envName, database: target?.database, allowCrossEnv });
    if (signature === "valid") out.info(`${shown}: signed with this environment's key (${key?.source}).`);
    else out.warn(`signature of ${shown}: ${signature}`);
    const progress = new Progress((line) => out.info(line), "verify: read");
    const metadata = await verifyBackupFile(path, (total) => progress.update(total));
    if (JSON.stringify(metadata) !== JSON.stringify(record)) {
      throw new OperationError(`${shown}: its sidecar changed while it was verified; verify it again`);
    }
    out.info(`${shown}: sha256 and size (${formatBytes(metadata.sizeBytes)}) match the sidecar; the dump is complete.`);
    let restoredTables: number | undefined;
    if (target) {
      out.info(`Test restore into a scratch database on ${target.label.replace(/\/[^/]*$/, "")}...`);
      const restoreProgress = new Progress((line) => out.info(line), "test restore: read");
      const result = await restoreTest(
        target,
        path,
        metadata,
        { key, allowUnsigned, envName, allowCrossEnv },
        (total) => restoreProgress.update(total),
      );
      restoredTables = Object.keys(result.tables).length;
      out.info(
        `Test restore: all ${restoredTables} tables have the row counts the sidecar recorded; scratch database ${result.scratchDatabase} dropped.`,
      );
    }
    if (values.json) {
      out.result(
        JSON.stringify({
          ...metadata,
          path,
          valid: true,
          signature,
          restoreTested: target !== undefined,
          restoredTables,
        }),
      );
    } else {
      out.result(`${shown}: valid${target ? ", restore-tested" : ""}`);
    }
    return ExitCode.ok;
  },
};
