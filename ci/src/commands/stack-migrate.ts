import type { Command } from "../cli/command.ts";
import { ExitCode } from "../cli/exit-codes.ts";
import { Executor } from "../stack/executor.ts";
import { opsRelease } from "../stack/ops-release.ts";
import { STACK_HELP, STACK_OPTIONS, stackSettings } from "../stack/settings.ts";
import { Stack } from "../stack/stack.ts";

/** `lh-ci stack migrate`: the migrations check, then the one-shot migrate service, under the lock. */
export const stackMigrate: Command = {
  name: "stack migrate",
  summary: "apply a release's pending migrations (lock held; destructive ones refused unless allowed)",
  help: `Usage: lh-ci stack migrate [--env staging] [--release SHA] [--allow-destructive-migrations]
                       [--operator WHO] [stack options]

Takes the deploy lock, gives the database to DATABASE_URL's application role as deploy does
(lh-ci stack database-role), runs lh-ci migrations check in the ops container (refusing destructive
pending migrations unless --allow-destructive-migrations), then the one-shot migrate service of
the release, and releases the lock in every outcome. The apps are not restarted.

  --release SHA                    the release whose migrations run; its images must be on the
                                   engine (default: the release running now)
  --allow-destructive-migrations   let migrations that drop or rewrite data through
  --operator WHO                   who migrates, for the lock

${STACK_HELP}`,
  options: {
    ...STACK_OPTIONS,
    release: { type: "string" },
    "allow-destructive-migrations": { type: "boolean", default: false },
    operator: { type: "string" },
  },
  async run(context) {
    const { values, out, processEnv } = context;
    const stack = new Stack(stackSettings(context), new Executor(out, processEnv));
    const release = await opsRelease(stack, values.release);
    await stack.withLock(release, `lh-ci stack migrate ${release}`, async () => {
      out.info(`Database role: ${await stack.ensureAppRole(release)}`);
      out.info(`Checking the pending migrations of ${release}...`);
      await stack.migrationsCheck(release, values["allow-destructive-migrations"] === true);
      out.info(`Running the migrate service of ${release}...`);
      await stack.migrate(release);
    });
    out.result(`migrations of ${release} applied to ${stack.env}`);
    return ExitCode.ok;
  },
};
