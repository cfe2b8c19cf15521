import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "../cli/command.ts";
import { ExitCode, UsageError } from "../cli/exit-codes.ts";
import { fetchBackup } from "../stack/backup-copy.ts";
import { Executor } from "../stack/executor.ts";
import { opsRelease } from "../stack/ops-release.ts";
import { STACK_HELP, STACK_OPTIONS, stackSettings } from "../stack/settings.ts";
import { Stack } from "../stack/stack.ts";

/** `lh-ci stack backup --out DIR`: a backup taken in the stack's network, copied to a local folder. */
export const stackBackup: Command = {
  name: "stack backup",
  summary: "back up the stack's database in its network; the dump and its sidecar land in a local folder",
  help: `Usage: lh-ci stack backup --out DIR [--env staging] [--release SHA] [stack options]

Runs lh-ci backup in the ops container (the database is never exposed), which writes the dump
and its sidecar into the stack's backups volume (kept there too), then copies both into DIR
(mode 0600) and checks the copy against the sidecar's sha256. The last line of stdout is the
local path of the backup.

  --out DIR       where the copy goes (created when missing)
  --release SHA   whose ops image backs up (default: the release running now)

${STACK_HELP}`,
  options: { ...STACK_OPTIONS, out: { type: "string" }, release: { type: "string" } },
  async run(context) {
    const { values, out, cwd, processEnv } = context;
    if (typeof values.out !== "string") throw new UsageError("stack backup: --out DIR is required");
    const dir = resolve(cwd, values.out);
    const stack = new Stack(stackSettings(context), new Executor(out, processEnv));
    const release = await opsRelease(stack, values.release);
    out.info(`Backing up ${stack.env} in the stack's network (release ${release})...`);
    const name = await stack.backup(release);
    mkdirSync(dir, { recursive: true });
    out.info(`Copying ${name} and its sidecar to ${dir}...`);
    const path = await fetchBackup(stack, release, name, dir);
    out.info(`Backup copied and checked: ${path}`);
    out.result(path);
    return ExitCode.ok;
  },
};
