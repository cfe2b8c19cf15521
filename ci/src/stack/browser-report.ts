/**
 * The browser check's report.json as lh-ci reads it: bounded in size, checked with zod, and the
 * lines a deploy report shows of it. packages/browser-check writes it; the two share this file
 * format, not code (the check's image holds none of lh-ci, lh-ci none of Playwright).
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { z } from "zod";
import { formatDuration } from "../state/duration.ts";

/** A report is a few KiB; anything past this is not one. */
export const MAX_REPORT_BYTES = 256 * 1024;
/** A screenshot of one page; a bigger stream is cut off and the copy fails. */
export const MAX_SCREENSHOT_BYTES = 16 * 1024 * 1024;
export const REPORT_FILE = "report.json";
export const SCREENSHOT_FILE = "screenshot.png";

const millis = z.number().nonnegative().nullable();

const reportSchema = z.object({
  ok: z.boolean(),
  url: z.string(),
  problems: z.array(z.string()),
  timings: z.object({
    firstByteMs: millis.optional(),
    domContentLoadedMs: millis.optional(),
    loadMs: millis.optional(),
    launchMs: millis.optional(),
    totalMs: z.number().nonnegative(),
  }),
  bytes: z.number().nonnegative(),
  requests: z.number().int().nonnegative(),
  screenshot: z.string().nullable(),
});

export type BrowserReport = z.infer<typeof reportSchema>;

/** A report.json that is missing, too big or not the check's format. */
export class BrowserReportError extends Error {
  override name = "BrowserReportError";
}

/** Reads and checks a report.json; throws a BrowserReportError naming the file and what is wrong. */
export function readBrowserReport(path: string): BrowserReport {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    throw new BrowserReportError(`the browser check wrote no report (${path} is missing)`);
  }
  let text: string;
  try {
    const size = fstatSync(fd).size;
    if (size === 0) throw new BrowserReportError(`the browser check's report ${path} is empty`);
    if (size > MAX_REPORT_BYTES) {
      throw new BrowserReportError(
        `the browser check's report ${path} is ${size} bytes, more than ${MAX_REPORT_BYTES}: not a report`,
      );
    }
    const buffer = Buffer.alloc(size);
    readSync(fd, buffer, 0, size, 0);
    text = buffer.toString("utf8");
  } finally {
    closeSync(fd);
  }
  return parseBrowserReport(text, path);
}

/** The report's JSON (the file, or the check's --json stdout), checked. */
export function parseBrowserReport(text: string, source: string): BrowserReport {
  // The file is indented JSON; the check's --json output is one line (the last one printed).
  const json = parseJson(text.trim()) ?? parseJson(text.trim().split("\n").at(-1) ?? "");
  if (json === undefined) throw new BrowserReportError(`the browser check's report ${source} is not JSON`);
  const parsed = reportSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join(".") || "(the whole report)";
    throw new BrowserReportError(`the browser check's report ${source} is not its format: ${field}: ${issue?.message}`);
  }
  if (parsed.data.ok !== (parsed.data.problems.length === 0)) {
    throw new BrowserReportError(
      `the browser check's report ${source} says ok=${parsed.data.ok} with ${parsed.data.problems.length} problems`,
    );
  }
  return parsed.data;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** One line: the verdict, how long the check took and the page's timings. */
export function browserVerdict(report: BrowserReport): string {
  const { timings } = report;
  const figures = [
    `${report.requests} requests`,
    ...(typeof timings.firstByteMs === "number" ? [`first byte ${formatDuration(timings.firstByteMs)}`] : []),
    ...(typeof timings.domContentLoadedMs === "number"
      ? [`DOMContentLoaded ${formatDuration(timings.domContentLoadedMs)}`]
      : []),
    ...(typeof timings.loadMs === "number" ? [`load ${formatDuration(timings.loadMs)}`] : []),
  ].join(", ");
  const took = formatDuration(timings.totalMs);
  return report.ok
    ? `browser check of ${report.url} passed in ${took} (${figures})`
    : `browser check of ${report.url} FAILED in ${took}: ${report.problems.join("; ")}`;
}

/** The loud line of `--no-browser`, wherever the check is skipped. */
export function browserSkipped(release: string): string {
  return `BROWSER CHECK SKIPPED (--no-browser): release ${release} was not looked at in a browser; a page that fails for its users would not have been noticed`;
}
