import type { Command } from "../cli/command.ts";
import { ExitCode, UsageError } from "../cli/exit-codes.ts";
import * as compose from "../stack/compose.ts";
import { Executor } from "../stack/executor.ts";
import { STACK_HELP, STACK_OPTIONS, stackSettings } from "../stack/settings.ts";
import { Stack } from "../stack/stack.ts";

/** `lh-ci stack logs [SERVICE]`: the last lines of the stack's (or one service's) logs. */
export const stackLogs: Command = {
  name: "stack logs",
  summary: "the last log lines of the stack, or of one service",
  help: `Usage: lh-ci stack logs [SERVICE] [--env staging] [--tail 300] [stack options]

docker compose logs --no-color --timestamps --tail N [SERVICE], on stdout, every line through
the redactor.

  --tail N   lines per service (default 300)

${STACK_HELP}`,
  options: { ...STACK_OPTIONS, tail: { type: "string", default: "300" } },
  positionals: [0, 1],
  async run(context) {
    const { values, positionals, out, processEnv } = context;
    const tail = Number(values.tail);
    if (!Number.isInteger(tail) || tail < 1) throw new UsageError("--tail: must be a whole number of lines, e.g. 300");
    const settings = stackSettings(context);
    const exec = new Executor(out, processEnv);
    // logs reads the containers' labels; RELEASE only has to satisfy the compose file's interpolation.
    const release = (await new Stack(settings, exec).runningRelease()) ?? "none";
    await exec.run(compose.logs(settings.project, release, tail, positionals[0]), { show: "result" });
    return ExitCode.ok;
  },
};
