import { runBrowserCheck } from "./check.ts";
import { ExitCode, UsageError } from "./errors.ts";
import { parseOptions, USAGE } from "./options.ts";
import { summaryLines, writeReport } from "./report.ts";

export interface CliIO {
  cwd?: string;
  stdout?: (line: string) => void;
  stderr?: (line: string) => void;
}

/** One run of the browser-check program; returns its exit code and never throws. */
export async function main(argv: string[], io: CliIO = {}): Promise<number> {
  const stdout = io.stdout ?? ((line: string) => process.stdout.write(`${line}\n`));
  const stderr = io.stderr ?? ((line: string) => process.stderr.write(`${line}\n`));
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv, io.cwd ?? process.cwd());
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    stderr(`browser-check: ${error.message}`);
    return ExitCode.usage;
  }
  if (parsed.help || !parsed.options) {
    stdout(USAGE);
    return ExitCode.ok;
  }
  const { options } = parsed;
  const report = await runBrowserCheck(options);
  let reportPath: string;
  try {
    reportPath = writeReport(options.outDir, report);
  } catch (error) {
    stderr(`browser-check: could not write the report to ${options.outDir}: ${(error as Error).message}`);
    return ExitCode.failed;
  }
  if (parsed.json) stdout(JSON.stringify(report));
  else {
    for (const line of summaryLines(report)) stdout(line);
    stdout(`report: ${reportPath}${report.screenshot ? `, screenshot: ${options.outDir}/${report.screenshot}` : ""}`);
  }
  return report.ok ? ExitCode.ok : ExitCode.failed;
}
