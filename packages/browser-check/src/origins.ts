import { UsageError } from "./errors.ts";

/**
 * Where the page may send requests: the checked URL's own origin and the origins given with
 * --allow-origin (the stack's other services). Anything else would leave the stack (a CDN, an
 * analytics beacon, a font service): the check aborts it and reports it.
 */
export class OriginPolicy {
  readonly #allowed: Set<string>;

  constructor(pageUrl: URL, extra: readonly string[]) {
    this.#allowed = new Set([pageUrl.origin, ...extra]);
  }

  get allowed(): string[] {
    return [...this.#allowed];
  }

  /**
   * Only http(s) requests reach the network through Chromium's request interception; data: and
   * blob: URLs are the page's own bytes.
   */
  allows(url: string): boolean {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return false;
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return true;
    return this.#allowed.has(parsed.origin);
  }
}

/** An --allow-origin value: scheme, host and port, nothing else ("http://api:4000"). */
export function parseOrigin(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--allow-origin: "${text}" is not an origin; write e.g. http://api:4000`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--allow-origin: "${text}" is not an http(s) origin; write e.g. http://api:4000`);
  }
  if (text.replace(/\/$/, "") !== url.origin) {
    throw new UsageError(
      `--allow-origin: "${text}" has more than an origin (path, query or credentials); write ${url.origin}`,
    );
  }
  return url.origin;
}
