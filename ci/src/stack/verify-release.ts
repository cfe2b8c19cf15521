/**
 * Verifying a running release, as deploy, rollback and `stack verify` do it: `lh-ci verify` in the
 * stack's network (health, PostgreSQL, Redis, migrations) and, at the same time, the browser
 * check: Chromium loads the web page from the check's own container, and its report.json and
 * screenshot.png are saved under `<dir>/<release>/` beside the deploy's report. Both must pass.
 */
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import {
  type BrowserReport,
  browserSkipped,
  browserVerdict,
  MAX_SCREENSHOT_BYTES,
  REPORT_FILE,
  SCREENSHOT_FILE,
} from "./browser-report.ts";
import type { BrowserCheckRun, Stack } from "./stack.ts";
import { indexTar, readEntry } from "./tar-file.ts";

/** Where the browser check's files go by default, relative to lh-ci's working directory. */
export const DEFAULT_BROWSER_REPORT_DIR = "browser-check-reports";

export interface BrowserCheckPlan {
  /** false: `--no-browser`, the check is skipped (loudly). */
  enabled: boolean;
  /** The local folder that gets `<release>/report.json` and `<release>/screenshot.png`. */
  dir: string;
  /** Whose browser check image runs (the deploying release's: an older release may have none). */
  checker: string;
}

export interface VerifyPlan {
  /** `lh-ci verify`'s deadline in the stack, e.g. 120s. */
  timeout: string;
  browser: BrowserCheckPlan;
}

/** A page that failed the browser check: the message names what the page did wrong. */
export class BrowserCheckFailed extends Error {
  override name = "BrowserCheckFailed";
  readonly report: BrowserReport;

  constructor(message: string, report: BrowserReport) {
    super(message);
    this.report = report;
  }
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1)?.trim() ?? "";
}

/** In-stack verification and the browser check at once (or the loud line saying it was skipped). */
export async function verifyRelease(stack: Stack, release: string, plan: VerifyPlan): Promise<string> {
  if (!plan.browser.enabled) {
    const inStack = lastLine((await stack.verify(release, plan.timeout)).stdout);
    const skipped = browserSkipped(release);
    stack.exec.out.warn(skipped);
    return `${inStack}; ${skipped}`;
  }
  // Both only read (the browser check's container starts in about the time the checks take), so
  // they run at once; the in-stack verdict is reported first when both fail.
  const [inStack, browser] = await Promise.allSettled([
    stack.verify(release, plan.timeout),
    lookInBrowser(stack, release, plan.browser),
  ]);
  if (inStack.status === "rejected") throw inStack.reason;
  if (browser.status === "rejected") throw browser.reason;
  return `${lastLine(inStack.value.stdout)}; ${browser.value}`;
}

/** The browser check of the running release; throws BrowserCheckFailed when the page failed. */
export async function lookInBrowser(stack: Stack, release: string, plan: BrowserCheckPlan): Promise<string> {
  const dir = join(plan.dir, release);
  mkdirSync(dir, { recursive: true });
  // Files of an earlier check of this release would pass for this one's.
  for (const name of [REPORT_FILE, SCREENSHOT_FILE]) rmSync(join(dir, name), { force: true });
  stack.exec.out.info(`Loading the web page of ${release} in Chromium (the browser check)...`);
  const reportPath = join(dir, REPORT_FILE);
  const { report, screenshot } = await stack.browserCheck(release, plan.checker, async (check) => {
    writeFileSync(reportPath, `${check.json}\n`);
    // The report names its screenshot; only the one name the check writes is copied.
    const copied = check.report.screenshot === SCREENSHOT_FILE ? await copyScreenshot(stack, check, dir) : undefined;
    return { report: check.report, screenshot: copied };
  });
  const files = `report: ${reportPath}${screenshot ? `, screenshot: ${screenshot}` : ", no screenshot"}`;
  const verdict = browserVerdict(report);
  stack.exec.out.info(verdict);
  stack.exec.out.info(`  ${files}`);
  if (!report.ok) throw new BrowserCheckFailed(`${verdict} (${files})`, report);
  return `${verdict} (${files})`;
}

/**
 * Copies the screenshot out of the check's exited container (a tar archive of the one file, read
 * with a size bound); a failed copy is a warning (the page passed or not).
 */
async function copyScreenshot(stack: Stack, check: BrowserCheckRun, dir: string): Promise<string | undefined> {
  const path = join(dir, SCREENSHOT_FILE);
  const archive = `${path}.tar.partial`;
  const file = createWriteStream(archive);
  // The archive is the file plus its header and padding, and the end marker.
  const capped = new CappedWritable(file, MAX_SCREENSHOT_BYTES + TAR_OVERHEAD_BYTES);
  try {
    await check.copyFile(SCREENSHOT_FILE, capped);
    file.end();
    await finished(file);
    if (capped.overflowed) throw new Error(`it is larger than ${MAX_SCREENSHOT_BYTES} bytes`);
    const entry = indexTar(archive).get(SCREENSHOT_FILE);
    if (!entry) throw new Error(`the copy holds no ${SCREENSHOT_FILE}`);
    writeFileSync(path, readEntry(archive, entry));
    return path;
  } catch (error) {
    file.destroy();
    stack.exec.out.warn(
      `the browser check's screenshot could not be copied out: ${error instanceof Error ? error.message : String(error)}`,
    );
    return undefined;
  } finally {
    rmSync(archive, { force: true });
  }
}

/** A tar archive of one file beyond the file itself: its header, a long-name header, padding, the end marker. */
const TAR_OVERHEAD_BYTES = 8 * 1024;

/** Passes at most `limit` bytes on to `target`, then drops the rest (so the producer still ends). */
export class CappedWritable extends Writable {
  readonly #target: NodeJS.WritableStream;
  readonly #limit: number;
  #written = 0;
  overflowed = false;

  constructor(target: NodeJS.WritableStream, limit: number) {
    super();
    this.#target = target;
    this.#limit = limit;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#written + chunk.length > this.#limit) {
      this.overflowed = true;
      callback();
      return;
    }
    this.#written += chunk.length;
    if (this.#target.write(chunk)) callback();
    else this.#target.once("drain", () => callback());
  }
}
