import { resolve } from "node:path";
import { pgTarget } from "../backup/connection.ts";
import { displayPath, formatBytes } from "../backup/format.ts";
import { Progress } from "../backup/progress.ts";
import { restoreTest } from "../backup/restore-test.ts";
import { checkSignature } from "../backup/signature.ts";
import { verifyBackupFile } from "../backup/verify-backup.ts";
import type { Command } from "../cli/command.ts";
import { ExitCode } from "../cli/exit-codes.ts";

/** `lh-ci backup verify FILE`: checksum and completeness, and with --restore-test a real restore. */
export const backupVerify: Command = {
  name: "backup verify",
  summary: "prove a backup is whole (sha256 + completeness), optionally by restoring it to a scratch database",
  help: `Usage: lh-ci backup verify FILE [--restore-test] [--allow-unsigned]

Checks FILE against its sidecar FILE.json: size and sha256 must match, the dump must end with
pg_dump's completion marker (a truncated dump is caught) and hold only data and definitions (what
restore accepts), and with BACKUP_SIGNING_KEY set the sidecar must carry a valid signature.
Exit 0 when it holds, 1 when not.

Options:
  --allow-unsigned accept a backup without a valid signature although BACKUP_SIGNING_KEY is set
  --restore-test   also restore FILE into a scratch database on the server of DATABASE_URL,
                   compare every table's row count with the sidecar, and drop the scratch
                   database (the role needs CREATEDB)`,
  options: {
    "restore-test": { type: "boolean", default: false },
    "allow-unsigned": { type: "boolean", default: false },
  },
  positionals: [1, 1],
  async run({ values, positionals, out, cwd, loadConfig }) {
    const path = resolve(cwd, positionals[0] ?? "");
    const shown = displayPath(path, cwd);
    // Configuration only matters for the test restore; a plain check needs no database.
    const { config } = loadConfig(
      values["restore-test"] ? ["DATABASE_URL", "BACKUP_SIGNING_KEY"] : ["BACKUP_SIGNING_KEY"],
    );
    const target = values["restore-test"] && config.DATABASE_URL ? pgTarget(config.DATABASE_URL) : undefined;
    out.info(`Verifying ${shown} against its sidecar...`);
    const progress = new Progress((line) => out.info(line), "verify: read");
    const metadata = await verifyBackupFile(path, (total) => progress.update(total));
    const signature = checkSignature(metadata, config.BACKUP_SIGNING_KEY, values["allow-unsigned"] === true);
    if (signature === "valid") out.info(`${shown}: signed with BACKUP_SIGNING_KEY.`);
    else out.warn(`signature of ${shown}: ${signature}`);
    out.info(`${shown}: sha256 and size (${formatBytes(metadata.sizeBytes)}) match the sidecar; the dump is complete.`);
    let restoredTables: number | undefined;
    if (target) {
      out.info(`Test restore into a scratch database on ${target.label.replace(/\/[^/]*$/, "")}...`);
      const restoreProgress = new Progress((line) => out.info(line), "test restore: read");
      const result = await restoreTest(target, path, metadata, (total) => restoreProgress.update(total));
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
