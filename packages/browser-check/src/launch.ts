import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

/**
 * Chromium's flags: headless without a sandbox (the check runs as an unprivileged user in a
 * container that has no user namespaces for it), no GPU, no QUIC (plain TCP to the stack's
 * services), and none of the background traffic a first start makes (component updates, sync,
 * safe-browsing lists): the page's requests are the only ones. Shared memory goes to /tmp.
 */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  // A container's /dev/shm is 64 MB by default, too small for a page's renderer: /tmp instead.
  "--disable-dev-shm-usage",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
] as const;

/**
 * Chromium's whole environment. Not process.env: the check runs beside tokens and database URLs,
 * and a browser that loads a page must not hold them. HOME and the XDG folders point into the run's
 * own temporary folder, so Chromium writes nowhere else.
 */
export function browserEnvironment(home: string): Record<string, string> {
  return {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_CACHE_HOME: join(home, ".cache"),
    TMPDIR: home,
    LANG: "C.UTF-8",
    TZ: "UTC",
  };
}

export interface BrowserSession {
  context: BrowserContext;
  /** Chromium's version, for the report. */
  version: string;
  /** Closes Chromium and removes its profile and home. */
  close(): Promise<void>;
}

/** Starts Chromium with a new, empty profile (its user data dir) and the environment above. */
export async function launchChromium(executablePath: string, timeoutMs: number): Promise<BrowserSession> {
  const root = mkdtempSync(join(tmpdir(), "browser-check-"));
  const home = join(root, "home");
  mkdirSync(home);
  const remove = () => rmSync(root, { recursive: true, force: true });
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(join(root, "profile"), {
      executablePath,
      headless: true,
      args: [...CHROMIUM_FLAGS],
      env: browserEnvironment(home),
      timeout: timeoutMs,
      // What the check looks at is the page itself: no service worker answering from a cache, no
      // download saved to disk.
      serviceWorkers: "block",
      acceptDownloads: false,
      viewport: { width: 1280, height: 800 },
      // The program's own handling (src/cli.ts) stops the check, which closes the browser and
      // writes the report; Playwright's would exit the process first.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
  } catch (error) {
    remove();
    throw error;
  }
  return {
    context,
    version: context.browser()?.version() ?? "unknown",
    async close() {
      await context.close().catch(() => undefined);
      remove();
    },
  };
}
