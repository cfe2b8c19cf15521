import type { Command } from "../cli/command.ts";
import { ExitCode } from "../cli/exit-codes.ts";
import { BROWSER_HELP, BROWSER_OPTIONS, browserOption } from "../stack/browser-option.ts";
import { browserSkipped } from "../stack/browser-report.ts";
import { runOps } from "../stack/compose.ts";
import { Executor } from "../stack/executor.ts";
import { opsArgs } from "../stack/ops.ts";
import { opsRelease } from "../stack/ops-release.ts";
import { durationOption } from "../stack/release-option.ts";
import { STACK_HELP, STACK_OPTIONS, stackSettings } from "../stack/settings.ts";
import { Stack } from "../stack/stack.ts";
import { BrowserCheckFailed, lookInBrowser } from "../stack/verify-release.ts";

/** `lh-ci stack verify`: lh-ci verify inside the stack's network. */
export const stackVerify: Command = {
  name: "stack verify",
  summary: "lh-ci verify inside the stack's network (docker compose run --rm ops) and the browser check, at once",
  help: `Usage: lh-ci stack verify [--env staging] [--timeout 120s] [--release SHA] [--no-browser]
                         [--browser-report DIR] [stack options]

Runs lh-ci verify (api and web health, PostgreSQL 15, Redis 7, migrations applied) in the ops
container of the running release, where the services' names resolve. Its table is printed on
stdout. When it passed, the browser check loads the web page in Chromium (docker compose run
--rm browser-check) and saves its report.json and screenshot.png. Exit 0 only when every check
passed.

  --timeout DURATION   the deadline (default 120s)
  --release SHA        whose ops and browser check images verify (default: the release running now)
${BROWSER_HELP}

${STACK_HELP}`,
  options: {
    ...STACK_OPTIONS,
    ...BROWSER_OPTIONS,
    timeout: { type: "string", default: "120s" },
    release: { type: "string" },
  },
  async run(context) {
    const { values, out, processEnv } = context;
    const timeout = durationOption(values.timeout, "--timeout");
    const stack = new Stack(stackSettings(context), new Executor(out, processEnv));
    const release = await opsRelease(stack, values.release);
    out.info(`Verifying ${stack.env} (release ${release}) inside the stack's network...`);
    const command = runOps(stack.settings.project, release, opsArgs.verify(stack.env, timeout));
    const result = await stack.exec.attempt(command, { show: "result" });
    if (result.code !== 0) return ExitCode.failed;
    const browser = browserOption(context);
    if (!browser.enabled) {
      out.warn(browserSkipped(release));
      return ExitCode.ok;
    }
    try {
      out.result(await lookInBrowser(stack, release, { ...browser, checker: release }));
      return ExitCode.ok;
    } catch (error) {
      if (!(error instanceof BrowserCheckFailed)) throw error;
      out.error(error.message);
      return ExitCode.failed;
    }
  },
};
