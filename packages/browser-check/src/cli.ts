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
  // SIGTERM (docker stop) or SIGINT (Ctrl-C): the check stops, closes Chromium and still reports.
  const stop = new AbortController();
  const onSignal = (name: NodeJS.Signals) => stop.abort(`${name} received`);
  process.once("SIGTERM", onSignal).once("SIGINT", onSignal);
  let report: Awaited<ReturnType<typeof runBrowserCheck>>;
  try {
    report = await runBrowserCheck(options, { signal: stop.signal });
  } catch (error) {
    stderr(`browser-check: the check itself failed: ${error instanceof Error ? error.message : String(error)}`);
    return ExitCode.failed;
  } finally {
    process.off("SIGTERM", onSignal).off("SIGINT", onSignal);
  }
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
