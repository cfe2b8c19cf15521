import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PageTimings } from "./timings.ts";
import { formatBytes, formatDuration } from "./units.ts";

/** What one run of the check saw, written to report.json beside the screenshot. */
export interface BrowserCheckReport {
  ok: boolean;
  url: string;
  /** Each problem naming what was seen; empty when ok. */
  problems: string[];
  /** The page's timings from the start of its navigation; Chromium's start and the total from the check's start. */
  timings: PageTimings & { launchMs: number | null; totalMs: number };
  /** Bytes the page downloaded, all requests together. */
  bytes: number;
  maxBytes: number;
  /** Requests the page made, the aborted ones included. */
  requests: number;
  marker: { selector: string; visible: boolean; text: string | null };
  /** The screenshot's file name in the output directory, or null when none could be taken. */
  screenshot: string | null;
  chromium: string | null;
  deadlineMs: number;
}

export const REPORT_FILE = "report.json";
export const SCREENSHOT_FILE = "screenshot.png";

export function writeReport(outDir: string, report: BrowserCheckReport): string {
  const path = join(outDir, REPORT_FILE);
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  return path;
}

/** The lines the operator reads: the verdict with the figures, then each problem. */
export function summaryLines(report: BrowserCheckReport): string[] {
  const { timings } = report;
  const figures = [
    `${report.requests} requests`,
    formatBytes(report.bytes),
    ...(timings.firstByteMs === null ? [] : [`first byte ${formatDuration(timings.firstByteMs)}`]),
    ...(timings.domContentLoadedMs === null ? [] : [`DOMContentLoaded ${formatDuration(timings.domContentLoadedMs)}`]),
    ...(timings.loadMs === null ? [] : [`load ${formatDuration(timings.loadMs)}`]),
  ].join(", ");
  const verdict = report.ok
    ? `browser check of ${report.url}: passed in ${formatDuration(timings.totalMs)} (${figures})`
    : `browser check of ${report.url}: FAILED in ${formatDuration(timings.totalMs)}, ${report.problems.length} problem${report.problems.length === 1 ? "" : "s"} (${figures})`;
  return [verdict, ...report.problems.map((problem) => `  - ${problem}`)];
}
