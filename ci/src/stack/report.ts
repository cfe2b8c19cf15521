/**
 * The deploy (and rollback) report as the operator and CI see it: the text table of
 * deploy-flow.ts, one JSON object with --json, and Markdown for a GitHub job summary.
 */
import { appendFileSync } from "node:fs";
import { resolve } from "node:path";
import type { CommandContext } from "../cli/command.ts";
import { ExitCode } from "../cli/exit-codes.ts";
import { formatDuration } from "../state/duration.ts";
import { type DeployReport, formatReport, type StepListener } from "./deploy-flow.ts";

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

const STATUS_MARK = { ok: "✅ ok", failed: "❌ failed", skipped: "⏭️ skipped" } as const;

/** A Markdown section for `$GITHUB_STEP_SUMMARY`. */
export function markdownReport(report: DeployReport, what: string): string {
  const title = report.ok ? `### ✅ ${what}: ${report.release}` : `### ❌ ${what} failed: ${report.release}`;
  const rows = report.steps.map(
    (step) =>
      `| ${step.step} | ${STATUS_MARK[step.status]} | ${formatDuration(step.ms)} | ${cell(step.detail ?? "")} |`,
  );
  const lines = [title, "", "| step | status | time | detail |", "| --- | --- | --- | --- |", ...rows, ""];
  if (report.running) lines.push(`Running now: \`${report.running}\``, "");
  if (report.recorded) lines.push(`Ledger: \`${report.recorded.commit}\` ${report.recorded.result}`, "");
  for (const message of report.messages) lines.push(`> **${cell(message)}**`, "");
  return lines.join("\n");
}

/** Progress lines as the flow goes: what starts, and how each step ended. */
export function progressLines(context: CommandContext, what: string): StepListener {
  return (event) => {
    if (event.status === "started") context.out.info(`${what}: ${event.step}...`);
    else
      context.out.info(
        `${what}: ${event.step} ${event.status} (${formatDuration(event.ms)})${event.detail ? `: ${event.detail}` : ""}`,
      );
  };
}

/** Prints the report (table, or JSON with --json), appends Markdown to --summary; the exit code. */
export function printReport(context: CommandContext, report: DeployReport, what: string): number {
  const { values, out, cwd } = context;
  if (values.json) out.result(JSON.stringify(report));
  else for (const line of formatReport(report).trimEnd().split("\n")) out.result(line);
  if (typeof values.summary === "string") {
    appendFileSync(resolve(cwd, values.summary), `${out.redactor.redact(markdownReport(report, what))}\n`);
  }
  return report.ok ? ExitCode.ok : ExitCode.failed;
}
