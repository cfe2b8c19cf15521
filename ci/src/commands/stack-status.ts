import type { Command } from "../cli/command.ts";
import { ExitCode } from "../cli/exit-codes.ts";
import * as compose from "../stack/compose.ts";
import { Executor } from "../stack/executor.ts";
import { opsArgs } from "../stack/ops.ts";
import { opsRelease } from "../stack/ops-release.ts";
import { STACK_HELP, STACK_OPTIONS, stackSettings } from "../stack/settings.ts";
import { Stack } from "../stack/stack.ts";

/** `lh-ci stack status`: what runs, the current release of the ledger, and the deploy lock. */
export const stackStatus: Command = {
  name: "stack status",
  summary: "what the stack runs: services, images, state and health, current release, deploy lock",
  help: `Usage: lh-ci stack status [--env staging] [--release SHA] [--json] [stack options]

Prints docker compose ps --all of the project, the current release of the ledger and who holds
the deploy lock (both read in the ops container, without starting the database). With --json:
one object {project, running, services: [compose ps entries], current, lock}.

  --release SHA   whose ops image reads the ledger (default: the release running now)

${STACK_HELP}`,
  options: { ...STACK_OPTIONS, release: { type: "string" } },
  async run(context) {
    const { values, out, processEnv } = context;
    const settings = stackSettings(context);
    const exec = new Executor(out, processEnv);
    const stack = new Stack(settings, exec);
    const running = await stack.runningRelease();
    const ops = await opsRelease(stack, values.release);
    const json = values.json === true;
    const ps = await exec.run(compose.ps(settings.project, ops, json), { show: "none" });
    const current = await stack.ledgerRelease(ops, "current");
    const lock = await stack.ops(ops, opsArgs.lockStatus(settings.env, json), false, { show: "none" });
    if (json) {
      const services = ps.stdout
        .split("\n")
        .filter((line) => line.trim() !== "")
        .flatMap((line) => {
          const parsed: unknown = JSON.parse(line);
          return Array.isArray(parsed) ? parsed : [parsed];
        });
      const lockLine = lock.stdout.trim().split("\n").at(-1) ?? "null";
      out.result(
        JSON.stringify({
          project: settings.project.name,
          running: running ?? null,
          services,
          current: current ?? null,
          lock: JSON.parse(lockLine),
        }),
      );
      return ExitCode.ok;
    }
    for (const line of ps.stdout.trimEnd().split("\n")) out.result(line);
    out.result("");
    out.result(`running: ${running ?? "(no container of this project)"}`);
    out.result(`current release (ledger): ${current ?? "(no verified release)"}`);
    out.result(lock.stdout.trim().split("\n").at(-1) ?? "");
    return ExitCode.ok;
  },
};
