import { type ProcessResult, runProcess } from "../../../ci/test/support/run-process.ts";

export interface ToolResult extends ProcessResult {
  /** stdout and stderr together, for assertion messages that show what the tool said. */
  output: string;
}

/** Runs an external checker (promtool, amtool, dclint) as a real process and collects its output. */
export async function runTool(command: string, args: string[], options: { cwd?: string } = {}): Promise<ToolResult> {
  const result = await runProcess(command, args, { cwd: options.cwd });
  return { ...result, output: `${result.stdout}${result.stderr}` };
}
