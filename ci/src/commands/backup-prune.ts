import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { backupDirectory } from "../backup/default-dir.ts";
import { displayPath } from "../backup/format.ts";
import { applyPrune, planPrune } from "../backup/prune.ts";
import type { Command } from "../cli/command.ts";
import { ExitCode, UsageError } from "../cli/exit-codes.ts";
import { assertEnvName } from "../config/load.ts";

/** `lh-ci backup prune`: retention by the time in the backup names. */
export const backupPrune: Command = {
  name: "backup prune",
  summary: "delete old backups of an environment (by the time in their names), keeping the newest",
  help: `Usage: lh-ci backup prune [--dir DIR] [--keep-days 7] [--keep-min 1] [--dry-run]

Deletes the backups of --env (lawyers_hub_<env>_<UTC timestamp>.sql[.gz]) and their .json
sidecars whose timestamp is more than --keep-days days old, but always keeps the newest
--keep-min backups, however old. Files that do not match the naming pattern (and other
environments' backups) are never touched. Prints each file it deletes.

Options:
  --dir DIR        the backups folder (default $LH_BACKUP_DIR, else backups/<env>)
  --keep-days N    age limit in days (default 7; fractions allowed)
  --keep-min N     backups always kept (default 1)
  --dry-run        print what would be deleted, delete nothing`,
  options: {
    dir: { type: "string" },
    "keep-days": { type: "string", default: "7" },
    "keep-min": { type: "string", default: "1" },
    "dry-run": { type: "boolean", default: false },
  },
  async run({ values, out, cwd, envName, processEnv }) {
    assertEnvName(envName);
    const keepDays = Number(values["keep-days"]);
    if (!Number.isFinite(keepDays) || keepDays < 0 || String(values["keep-days"]).trim() === "") {
      throw new UsageError("--keep-days: must be a number of days, 0 or more (e.g. 7)");
    }
    const keepMin = Number(values["keep-min"]);
    if (!Number.isInteger(keepMin) || keepMin < 0 || String(values["keep-min"]).trim() === "") {
      throw new UsageError("--keep-min: must be a whole number of backups, 0 or more (e.g. 1)");
    }
    const dir = backupDirectory(values.dir, envName, cwd, processEnv);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new UsageError(`--dir: ${displayPath(dir, cwd)} is not a folder; pass the backups folder with --dir`);
    }
    const dryRun = values["dry-run"] === true;
    const plan = planPrune(dir, { envName, keepDays, keepMin, now: new Date() });
    out.info(
      `${displayPath(dir, cwd)}: ${plan.keep.length + plan.delete.filter((name) => !name.endsWith(".json")).length} ${envName} backup(s); keeping the last ${keepDays} day(s) and at least ${keepMin}.`,
    );
    const deleted = dryRun ? plan.delete : applyPrune(dir, plan);
    if (values.json) {
      out.result(JSON.stringify({ dir, dryRun, deleted, kept: plan.keep }));
    } else {
      for (const name of deleted)
        out.result(`${dryRun ? "would delete" : "deleted"} ${displayPath(resolve(dir, name), cwd)}`);
    }
    out.info(
      `${dryRun ? "Would delete" : "Deleted"} ${deleted.length} file(s); ${plan.keep.length} backup(s) kept${plan.keep[0] ? `, newest ${plan.keep[0]}` : ""}.`,
    );
    return ExitCode.ok;
  },
};
