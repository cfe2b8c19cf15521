import { join } from "node:path";
import type { Page } from "playwright-core";
import { ByteMeter } from "./byte-meter.ts";
import { CheckStopped, Deadline } from "./deadline.ts";
import { type BrowserSession, launchChromium } from "./launch.ts";
import type { CheckOptions } from "./options.ts";
import { OriginPolicy } from "./origins.ts";
import { type PageWatch, Problems, watchPage } from "./page-watch.ts";
import { type BrowserCheckReport, SCREENSHOT_FILE } from "./report.ts";
import { pageText } from "./text.ts";
import { NO_TIMINGS, type PageTimings, readTimings } from "./timings.ts";
import { formatBytes } from "./units.ts";

interface Seen {
  session?: BrowserSession;
  page?: Page;
  watch?: PageWatch;
  meter?: ByteMeter;
  launchMs: number | null;
  /** The document answered: before that there is nothing to take a picture of (Chromium would wait). */
  answered: boolean;
  marker: BrowserCheckReport["marker"];
}

/**
 * Loads the page in headless Chromium and says what is wrong with it, within one deadline. Never
 * throws for what the page or the browser does: every failure is a problem in the report. The
 * screenshot is taken whatever happened once the document answered, as evidence.
 */
export async function runBrowserCheck(
  options: CheckOptions,
  control: { signal?: AbortSignal } = {},
): Promise<BrowserCheckReport> {
  const started = performance.now();
  const deadline = new Deadline(options.deadlineMs);
  // A stop from outside (SIGTERM from `docker stop`) ends the check as the deadline would: the
  // browser closed, the evidence and the report written.
  const { signal } = control;
  const onAbort = () => deadline.stop(`the check was stopped: ${String(signal?.reason ?? "aborted")}`);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  const problems = new Problems();
  const seen: Seen = {
    launchMs: null,
    answered: false,
    marker: { selector: options.markerSelector, visible: false, text: null },
  };
  try {
    await loadAndInspect(options, deadline, problems, seen, started);
  } catch (error) {
    problems.add(error instanceof CheckStopped ? error.message : `the check could not go on: ${describe(error)}`);
  }
  let timings: PageTimings = NO_TIMINGS;
  let screenshot: string | null = null;
  if (seen.page) {
    // The timings get a quarter of what is left: a page still navigating answers no script, and
    // the screenshot is the better evidence.
    timings = await readTimings(seen.page, Math.min(1000, deadline.remainingWithReserve() / 4));
    if (seen.answered)
      screenshot = await takeScreenshot(seen.page, options.outDir, deadline.remainingWithReserve(), problems);
  }
  problems.close();
  signal?.removeEventListener("abort", onAbort);
  await seen.session?.close();
  return {
    ok: problems.count === 0,
    url: options.url.href,
    problems: problems.list,
    timings: { ...timings, launchMs: seen.launchMs, totalMs: Math.round(performance.now() - started) },
    bytes: seen.meter?.total ?? 0,
    maxBytes: options.maxBytes,
    requests: seen.watch?.requests() ?? 0,
    marker: seen.marker,
    screenshot,
    chromium: seen.session?.version ?? null,
    deadlineMs: options.deadlineMs,
  };
}

/** The steps, in order; the first that cannot pass throws, and whatever was seen so far stays in `seen`. */
async function loadAndInspect(
  options: CheckOptions,
  deadline: Deadline,
  problems: Problems,
  seen: Seen,
  started: number,
): Promise<void> {
  const { url } = options;
  let session: BrowserSession;
  const launching = launchChromium(options.chromiumPath, deadline.remaining());
  try {
    session = await deadline.step("Chromium to start", () => launching);
  } catch (error) {
    // Stopped while Chromium was starting: it is closed as soon as it has started, not left running.
    launching.then((late) => late.close()).catch(() => undefined);
    if (error instanceof CheckStopped) throw error;
    throw new CheckStopped(`Chromium (${options.chromiumPath}) did not start: ${describe(error)}`);
  }
  seen.session = session;
  seen.launchMs = Math.round(performance.now() - started);
  const { context } = session;
  const page = context.pages()[0] ?? (await context.newPage());
  seen.page = page;
  seen.meter = new ByteMeter(options.maxBytes, (total, from) => {
    problems.add(
      `downloaded ${formatBytes(total)}, more than --max-bytes ${formatBytes(options.maxBytes)} (the cap was crossed by ${pageText(from, 200)})`,
    );
    deadline.stop("the check stopped loading the page at the download cap");
  });
  await seen.meter.attach(context, page);
  seen.watch = await watchPage(context, page, new OriginPolicy(url, options.allowOrigins), problems);

  const response = await deadline.step(`${url.href} to answer`, async (timeout) => {
    try {
      return await page.goto(url.href, { waitUntil: "commit", timeout });
    } catch (error) {
      if (error instanceof Error && error.name === "TimeoutError") throw error;
      throw new CheckStopped(`GET ${url.href} failed: ${describe(error)}`);
    }
  });
  seen.answered = response !== null;
  if (response?.status() !== 200) {
    throw new CheckStopped(
      `GET ${pageText(response?.url() ?? url.href, 200)} answered ${response?.status() ?? "nothing"} ${pageText(response?.statusText() ?? "")}, expected 200`.trimEnd(),
    );
  }
  await deadline.step("the page's load event", (timeout) => page.waitForLoadState("load", { timeout }));
  await deadline.step(
    `the page to hydrate (${options.hydratedSelector} to appear: does its JavaScript load and run?)`,
    (timeout) => page.waitForSelector(options.hydratedSelector, { state: "attached", timeout }),
  );
  await deadline.step("the page's network to go idle", (timeout) => page.waitForLoadState("networkidle", { timeout }));
  const marker = page.locator(options.markerSelector).first();
  const [count, visible] = await deadline.step(`the marker ${options.markerSelector}`, async () => [
    await page.locator(options.markerSelector).count(),
    await marker.isVisible(),
  ]);
  seen.marker.visible = visible;
  if (visible) {
    seen.marker.text = pageText(
      ((await deadline.step("the marker's text", (timeout) => marker.textContent({ timeout }))) ?? "").trim(),
      200,
    );
  } else {
    problems.add(
      `the marker ${options.markerSelector} is not visible once the page is idle and hydrated: ${count === 0 ? "no element matches it" : "it is hidden"}`,
    );
  }
}

async function takeScreenshot(
  page: Page,
  outDir: string,
  timeoutMs: number,
  problems: Problems,
): Promise<string | null> {
  try {
    await page.screenshot({ path: join(outDir, SCREENSHOT_FILE), timeout: timeoutMs, animations: "disabled" });
    return SCREENSHOT_FILE;
  } catch (error) {
    problems.add(`no screenshot could be taken: ${describe(error)}`);
    return null;
  }
}

/** The first line of an error: Playwright appends its call log, of no use to the operator. */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return pageText(message.split("\n")[0] ?? message);
}
