/**
 * Verifying a running release, as deploy, rollback and `stack verify` do it: `lh-ci verify` in the
 * stack's network (health, PostgreSQL, Redis, migrations), then, once that passed, the browser
 * check: Chromium loads the web page from the check's own container, and its report.json and
 * screenshot.png are saved under `<dir>/<release>/` beside the deploy's report.
 */
import { createWriteStream, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
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
import type { Stack } from "./stack.ts";

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

/** In-stack verification, then the browser check (or the loud line saying it was skipped). */
export async function verifyRelease(stack: Stack, release: string, plan: VerifyPlan): Promise<string> {
  const inStack = lastLine((await stack.verify(release, plan.timeout)).stdout);
  if (!plan.browser.enabled) {
    const skipped = browserSkipped(release);
    stack.exec.out.warn(skipped);
    return `${inStack}; ${skipped}`;
  }
  return `${inStack}; ${await lookInBrowser(stack, release, plan.browser)}`;
}

/** The browser check of the running release; throws BrowserCheckFailed when the page failed. */
export async function lookInBrowser(stack: Stack, release: string, plan: BrowserCheckPlan): Promise<string> {
  const dir = join(plan.dir, release);
  mkdirSync(dir, { recursive: true });
  // Files of an earlier check of this release would pass for this one's.
  for (const name of [REPORT_FILE, SCREENSHOT_FILE]) rmSync(join(dir, name), { force: true });
  stack.exec.out.info(`Loading the web page of ${release} in Chromium (the browser check)...`);
  const { report, json } = await stack.browserCheck(release, plan.checker);
  const reportPath = join(dir, REPORT_FILE);
  writeFileSync(reportPath, `${json}\n`);
  // The report names its screenshot; only the one name the check writes is copied.
  const screenshot =
    report.screenshot === SCREENSHOT_FILE ? await copyScreenshot(stack, release, plan, dir) : undefined;
  const files = `report: ${reportPath}${screenshot ? `, screenshot: ${screenshot}` : ", no screenshot"}`;
  const verdict = browserVerdict(report);
  stack.exec.out.info(verdict);
  stack.exec.out.info(`  ${files}`);
  if (!report.ok) throw new BrowserCheckFailed(`${verdict} (${files})`, report);
  return `${verdict} (${files})`;
}

/** Copies the screenshot out of the check's volume; a failed copy is a warning (the page passed or not). */
async function copyScreenshot(
  stack: Stack,
  release: string,
  plan: BrowserCheckPlan,
  dir: string,
): Promise<string | undefined> {
  const path = join(dir, SCREENSHOT_FILE);
  const partial = `${path}.partial`;
  const file = createWriteStream(partial);
  const capped = new CappedWritable(file, MAX_SCREENSHOT_BYTES);
  try {
    await stack.readBrowserCheckFile(release, plan.checker, SCREENSHOT_FILE, capped);
    file.end();
    await finished(file);
    if (capped.overflowed) throw new Error(`it is larger than ${MAX_SCREENSHOT_BYTES} bytes`);
    renameSync(partial, path);
    return path;
  } catch (error) {
    file.destroy();
    rmSync(partial, { force: true });
    stack.exec.out.warn(
      `the browser check's screenshot could not be copied out: ${error instanceof Error ? error.message : String(error)}`,
    );
    return undefined;
  }
}

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
