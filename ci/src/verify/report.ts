import { escapeControl } from "../output/escape-control.ts";
import { formatDuration } from "../state/duration.ts";
import type { CheckReport } from "./check.ts";

export interface VerifyReport {
  env: string;
  passed: boolean;
  deadlineMs: number;
  elapsedMs: number;
  checks: CheckReport[];
}

/** A plain-text table for the terminal and the CI log. */
export function textTable(report: VerifyReport): string[] {
  const rows = report.checks.map((check) => [
    check.name,
    check.status === "pass" ? "pass" : "FAIL",
    formatDuration(check.durationMs),
    String(check.attempts),
    check.detail,
  ]);
  const header = ["check", "status", "time", "tries", "detail"];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join("  ");
  const verdict = report.passed
    ? `${report.env}: verified, all ${report.checks.length} checks passed in ${formatDuration(report.elapsedMs)}`
    : `${report.env}: NOT verified, ${report.checks.filter((check) => check.status === "fail").length} of ${report.checks.length} checks failed (deadline ${formatDuration(report.deadlineMs)})`;
  return [line(header), ...rows.map(line), verdict];
}

/** A table cell: pipes escaped, one line, and no control character a server put in its answer. */
function markdownCell(text: string): string {
  return escapeControl(text.replace(/\|/g, "\\|").replace(/\n/g, " "));
}

/** A Markdown section for `$GITHUB_STEP_SUMMARY`. */
export function markdownSummary(report: VerifyReport): string {
  const title = report.passed
    ? `### ✅ ${report.env}: verified in ${formatDuration(report.elapsedMs)}`
    : `### ❌ ${report.env}: verification failed`;
  const rows = report.checks.map(
    (check) =>
      `| ${check.name} | ${check.status === "pass" ? "✅ pass" : "❌ fail"} | ${formatDuration(check.durationMs)} | ${markdownCell(check.detail)} |`,
  );
  return [title, "", "| check | status | time | detail |", "| --- | --- | --- | --- |", ...rows, ""].join("\n");
}
