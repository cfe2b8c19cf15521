import type { BrowserContext, ConsoleMessage, Page, Request, Response } from "playwright-core";
import type { OriginPolicy } from "./origins.ts";
import { pageText } from "./text.ts";

/** The most problems a report lists: a page failing in a loop must not flood the log. */
const MAX_PROBLEMS = 50;

/**
 * What went wrong, in the order it was seen, each naming what was seen: the URL and status, the
 * console message and where it was logged, the exception.
 */
export class Problems {
  readonly #list: string[] = [];
  #dropped = 0;
  #closed = false;

  add(problem: string): void {
    if (this.#closed) return;
    if (this.#list.length < MAX_PROBLEMS) this.#list.push(problem);
    else this.#dropped += 1;
  }

  /** After the check: the browser's close cancels requests, which are no problem of the page. */
  close(): void {
    this.#closed = true;
  }

  get list(): string[] {
    return this.#dropped > 0 ? [...this.#list, `... and ${this.#dropped} more problems`] : [...this.#list];
  }

  get count(): number {
    return this.#list.length + this.#dropped;
  }
}

/** "GET http://web:3000/_next/static/app.js". */
function describeRequest(request: Request): string {
  return `${request.method()} ${pageText(request.url(), 200)}`;
}

/** The page's own document, whose status the navigation checks (200 expected, not just < 400). */
function isPageDocument(page: Page, request: Request): boolean {
  return request.isNavigationRequest() && request.frame() === page.mainFrame();
}

function consoleProblem(message: ConsoleMessage): string | undefined {
  if (message.type() !== "error" && message.type() !== "assert") return undefined;
  // Chromium logs every failed load as "Failed to load resource: ..." without saying which: the
  // request's own event names its URL and status, and Chromium's own favicon request (made for
  // no page request, and not otherwise reported) would fail a page without one.
  if (message.text().startsWith("Failed to load resource:")) return undefined;
  const { url, lineNumber } = message.location();
  const where = url ? ` (at ${pageText(url, 200)}:${lineNumber + 1})` : "";
  return `console ${message.type()}: ${pageText(message.text())}${where}`;
}

function pageErrorProblem(error: Error): string {
  // The first frame of the page's stack says where it was thrown.
  const frame = error.stack
    ?.split("\n")
    .find((line) => line.trim().startsWith("at "))
    ?.trim();
  return `uncaught exception: ${pageText(`${error.name}: ${error.message}`)}${frame ? ` (${pageText(frame, 200)})` : ""}`;
}

export interface PageWatch {
  /** Requests the page made, the aborted ones included. */
  requests(): number;
}

/**
 * Watches the page: aborts and reports requests to origins the policy does not allow, and reports
 * failed requests, 4xx/5xx answers, console errors and uncaught exceptions.
 */
export async function watchPage(
  context: BrowserContext,
  page: Page,
  policy: OriginPolicy,
  problems: Problems,
): Promise<PageWatch> {
  const blocked = new Set<Request>();
  // Chromium cancels a script or style that answered 4xx/5xx (net::ERR_ABORTED): its status says it already.
  const answeredBadly = new Set<Request>();
  let requests = 0;
  await context.route(
    (url) => !policy.allows(url.href),
    async (route) => {
      blocked.add(route.request());
      problems.add(
        `blocked a request to an origin not allowed: ${describeRequest(route.request())} (allowed: ${policy.allowed.join(", ")})`,
      );
      await route.abort("blockedbyclient");
    },
  );
  page.on("request", () => {
    requests += 1;
  });
  page.on("requestfailed", (request: Request) => {
    if (blocked.has(request) || answeredBadly.has(request)) return;
    problems.add(
      `request failed: ${describeRequest(request)}: ${pageText(request.failure()?.errorText ?? "unknown error")}`,
    );
  });
  page.on("response", (response: Response) => {
    if (response.status() < 400 || isPageDocument(page, response.request())) return;
    answeredBadly.add(response.request());
    problems.add(
      `${describeRequest(response.request())} answered ${response.status()} ${pageText(response.statusText())}`,
    );
  });
  page.on("console", (message) => {
    const problem = consoleProblem(message);
    if (problem) problems.add(problem);
  });
  page.on("pageerror", (error) => problems.add(pageErrorProblem(error)));
  return { requests: () => requests };
}
