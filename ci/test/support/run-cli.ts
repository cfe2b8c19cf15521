import { fileURLToPath } from "node:url";
import { minimalEnvironment, type ProcessResult, runProcess } from "./run-process.ts";
import { lhCiNodeArgs } from "./shebang.ts";

export const LH_CI_BIN = fileURLToPath(new URL("../../bin/lh-ci.mjs", import.meta.url));
/** Node's arguments that start lh-ci from its sources as its container does; lh-ci's own follow. */
export const LH_CI_NODE_ARGS = lhCiNodeArgs(LH_CI_BIN);

export type CliResult = ProcessResult;

export interface CliOptions {
  /** Variables on top of a minimal environment (PATH, HOME); nothing else leaks in from the test runner. */
  env?: Record<string, string>;
  cwd?: string;
  /** Written to stdin, which is then closed (stdin is never a terminal here). */
  input?: string | Buffer;
  timeoutMs?: number;
}

/** Runs `lh-ci` as a real process, the way an operator or a container runs it. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return runProcess(process.execPath, [...LH_CI_NODE_ARGS, ...args], {
    ...options,
    env: minimalEnvironment(options.env),
  });
}
