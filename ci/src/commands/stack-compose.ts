import type { Command } from "../cli/command.ts";
import { ExitCode, UsageError } from "../cli/exit-codes.ts";
import { compose } from "../stack/compose.ts";
import { Executor } from "../stack/executor.ts";
import { opsRelease } from "../stack/ops-release.ts";
import { STACK_HELP, STACK_OPTIONS, stackSettings } from "../stack/settings.ts";
import { Stack } from "../stack/stack.ts";

/** An operator's compose command may run for a while (a restore, a migration by hand), not for ever. */
const COMPOSE_TIMEOUT_MS = 6 * 3_600_000;

/** `lh-ci stack compose -- ARGS...`: any docker compose command against the running release. */
export const stackCompose: Command = {
  name: "stack compose",
  summary: "run any docker compose command against the environment's running release",
  help: `Usage: lh-ci stack compose [--env staging] [--release SHA] [stack options] -- COMPOSE ARGS...

Runs docker compose with the stack's compose files, project directory, project name and env file,
and RELEASE and IMAGE_PREFIX set as a deploy sets them (the compose file requires RELEASE), so
that any compose command works as written. Its output is printed through the redactor and its
exit code is returned (0, 1 when it failed, 2 for usage). For example:
  lh-ci stack compose -- ps
  lh-ci stack compose -- logs --tail 20 backup
  lh-ci stack compose -- up -d backup
  lh-ci stack compose -- run --rm migrate npx prisma migrate resolve --rolled-back NAME
  lh-ci stack compose -- exec -T backup ls -l /backups

  --release SHA   the release compose runs (default: the release running now)

${STACK_HELP}`,
  options: { ...STACK_OPTIONS, release: { type: "string" } },
  positionals: [1, 256],
  async run(context) {
    const { values, positionals, out, processEnv } = context;
    if (positionals[0]?.startsWith("-")) {
      throw new UsageError(
        `stack compose: start with the compose command (ps, logs, run, exec, up...), not ${positionals[0]}: the files, project and env file come from lh-ci`,
      );
    }
    const stack = new Stack(stackSettings(context), new Executor(out, processEnv));
    const release = await opsRelease(stack, values.release);
    out.info(`docker compose ${positionals[0]} on ${stack.settings.project.name}, release ${release}...`);
    const result = await stack.exec.attempt(compose(stack.settings.project, release, ...positionals), {
      show: "result",
      timeoutMs: COMPOSE_TIMEOUT_MS,
    });
    out.info(`docker compose ${positionals[0]} exited with ${result.code}.`);
    return result.code === 0 ? ExitCode.ok : result.code === 2 ? ExitCode.usage : ExitCode.failed;
  },
};
