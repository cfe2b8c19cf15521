import type { Command } from "../cli/command.ts";
import { ExitCode, UsageError } from "../cli/exit-codes.ts";
import { runOps } from "../stack/compose.ts";
import { Executor } from "../stack/executor.ts";
import { opsRelease } from "../stack/ops-release.ts";
import { STACK_HELP, STACK_OPTIONS, stackSettings } from "../stack/settings.ts";
import { Stack } from "../stack/stack.ts";

/** `lh-ci stack ops -- COMMAND...`: any lh-ci command inside the stack's network. */
export const stackOps: Command = {
  name: "stack ops",
  summary: "run any lh-ci command in the stack's ops container (lock status, releases list, ...)",
  help: `Usage: lh-ci stack ops [--env staging] [--release SHA] [--deps] [stack options] -- COMMAND [ARGS...]

Runs docker compose run --rm ops lh-ci COMMAND ARGS --env <env>, i.e. the toolkit inside the
stack's network with the stack's state volume (lock, ledger) and backups volume. Its stdout is
printed on stdout and its exit code is returned. For example:
  lh-ci stack ops -- releases list
  lh-ci stack ops -- lock status
  lh-ci stack ops -- lock release --force
  lh-ci stack ops --deps -- migrations status --migrations-dir /app/apps/api/prisma/migrations

  --release SHA   whose ops image runs (default: the release running now)
  --deps          start PostgreSQL and Redis first (commands that read the database need them;
                  lock and releases do not)

${STACK_HELP}`,
  options: { ...STACK_OPTIONS, release: { type: "string" }, deps: { type: "boolean", default: false } },
  positionals: [1, 64],
  async run(context) {
    const { values, positionals, out, processEnv } = context;
    if (positionals.some((word) => word === "--env" || word.startsWith("--env="))) {
      throw new UsageError("stack ops: the environment comes from lh-ci's own --env, before --");
    }
    const stack = new Stack(stackSettings(context), new Executor(out, processEnv));
    const release = await opsRelease(stack, values.release);
    const args = [...positionals, "--env", stack.env];
    const result = await stack.exec.attempt(runOps(stack.settings.project, release, args, values.deps === true), {
      show: "result",
    });
    return result.code === 0 ? ExitCode.ok : result.code === 2 ? ExitCode.usage : ExitCode.failed;
  },
};
