import { resolve } from "node:path";
import type { Command } from "../cli/command.ts";
import { ExitCode, UsageError } from "../cli/exit-codes.ts";
import { storeBackup } from "../stack/backup-copy.ts";
import { Executor } from "../stack/executor.ts";
import { opsArgs } from "../stack/ops.ts";
import { opsRelease } from "../stack/ops-release.ts";
import { STACK_HELP, STACK_OPTIONS, stackSettings } from "../stack/settings.ts";
import { Stack } from "../stack/stack.ts";

/** `lh-ci stack restore FILE`: a local backup restored in the stack's network. */
export const stackRestore: Command = {
  name: "stack restore",
  summary: "restore a local backup (and its sidecar) into the stack's database, in its network",
  help: `Usage: lh-ci stack restore FILE --yes [--env staging] [--allow-cross-env] [--allow-unsigned]
                       [--release SHA] [--operator WHO] [stack options]

Checks FILE against FILE.json (sha256, size, completeness) here, takes the deploy lock, copies
both into the stack's backups volume, and runs lh-ci restore there: it refuses a backup not
signed with the environment's key (kept in the stack's state volume) unless --allow-unsigned,
another environment's or database's backup unless --allow-cross-env, takes a safety backup of the current database
into the same volume, and restores in one transaction (a failure leaves the database as it was).
The lock is released in every outcome.

  --yes               required: this replaces the environment's data
  --allow-cross-env   accept a backup taken in another environment or of another database
  --allow-unsigned    DANGEROUS: accept a backup without a valid signature of this environment's
                      key (a dump you made yourself and trust)
  --release SHA       whose ops image restores (default: the release running now)
  --operator WHO      who restores, for the lock

${STACK_HELP}`,
  options: {
    ...STACK_OPTIONS,
    yes: { type: "boolean", default: false },
    "allow-cross-env": { type: "boolean", default: false },
    "allow-unsigned": { type: "boolean", default: false },
    release: { type: "string" },
    operator: { type: "string" },
  },
  positionals: [1, 1],
  async run(context) {
    const { values, positionals, out, cwd, processEnv } = context;
    const path = resolve(cwd, positionals[0] ?? "");
    const stack = new Stack(stackSettings(context), new Executor(out, processEnv));
    if (values.yes !== true) {
      throw new UsageError(
        `stack restore replaces the ${stack.env} database with ${path}; pass --yes to confirm (nothing was changed)`,
      );
    }
    const release = await opsRelease(stack, values.release);
    await stack.withLock(release, `lh-ci stack restore ${path}`, async () => {
      out.info(`Copying ${path} and its sidecar into the backups volume...`);
      const name = await storeBackup(stack, release, path);
      out.info(`Restoring ${name} in the stack's network...`);
      const allow = { crossEnv: values["allow-cross-env"] === true, unsigned: values["allow-unsigned"] === true };
      if (allow.unsigned) out.warn(`--allow-unsigned: ${name}'s signature is NOT checked; only its content is`);
      await stack.ops(release, opsArgs.restore(stack.env, name, allow));
    });
    out.result(`${stack.env} restored from ${path}`);
    return ExitCode.ok;
  },
};
