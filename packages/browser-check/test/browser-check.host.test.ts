import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../../../ci/test/support/temp-dir.ts";
import { runBrowserCheck } from "../src/check.ts";
import { browserEnvironment } from "../src/launch.ts";
import { type CheckOptions, DEFAULTS } from "../src/options.ts";
import { requireChromium } from "./support/chromium.ts";
import { html, pageServer, script, send } from "./support/page-server.ts";

// Real pages from a real HTTP server, loaded by the real Chromium (Debian's), through the library
// and, for the exit codes and files, through the program.
const chromiumPath = requireChromium();
const BIN = fileURLToPath(new URL("../bin/browser-check.mjs", import.meta.url));

/** The page's markers as apps/web renders them: the api's status, and the client component's state. */
const MARKERS = `<p>API status: <strong data-testid="api-status">ready</strong></p>
<p data-testid="hydration" data-state="server">loading</p>`;
/** What apps/web's HydrationMarker does in its useEffect. */
const HYDRATE = `document.querySelector('[data-testid="hydration"]').dataset.state = "hydrated";`;
const DEBIAN_WRAPPER_VARIABLES = [
  "CHROME_DESKTOP",
  "CHROME_VERSION_EXTRA",
  "CHROME_WRAPPER",
  "CHROMIUM_FLAGS",
  "GOOGLE_API_KEY",
  "GOOGLE_DEFAULT_CLIENT_ID",
  "GOOGLE_DEFAULT_CLIENT_SECRET",
  "PWD",
];
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const server = await pageServer();
/** Another origin (another loopback address): a service outside the stack. */
const outside = await pageServer("127.0.0.2");

function options(path: string, overrides: Partial<CheckOptions> = {}): CheckOptions {
  return {
    url: new URL(path, server.origin),
    deadlineMs: 10_000,
    maxBytes: 1024 * 1024,
    allowOrigins: [],
    outDir: tempDir("browser-check-test-"),
    markerSelector: DEFAULTS.marker,
    hydratedSelector: DEFAULTS.hydrated,
    chromiumPath,
    ...overrides,
  };
}

/** A page with the markers, a stylesheet, an image and the hydrating script, plus `extra` markup. */
function goodPage(extra = ""): void {
  server.routes.set("/", html(`${MARKERS}<img src="/logo.svg" alt=""><script src="/app.js"></script>${extra}`));
  server.routes.set(
    "/logo.svg",
    send(
      "image/svg+xml",
      '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>',
    ),
  );
  server.routes.set("/app.js", script(HYDRATE));
}

beforeEach(() => {
  server.routes.clear();
  server.hits.clear();
  outside.routes.clear();
  outside.hits.clear();
});

describe("browser check", () => {
  it("passes a page that answers 200, loads every request, hydrates and shows its marker", async () => {
    goodPage();
    const report = await runBrowserCheck(options("/"));
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.marker).toEqual({ selector: DEFAULTS.marker, visible: true, text: "ready" });
    expect(report.requests).toBe(3);
    expect(report.bytes).toBeGreaterThan(300);
    expect(report.bytes).toBeLessThan(10_000);
    expect(report.chromium).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const { firstByteMs, domContentLoadedMs, loadMs, launchMs, totalMs } = report.timings;
    for (const value of [firstByteMs, domContentLoadedMs, loadMs, launchMs]) expect(value).toBeTypeOf("number");
    expect(firstByteMs).toBeLessThanOrEqual(domContentLoadedMs ?? 0);
    expect(domContentLoadedMs).toBeLessThanOrEqual(loadMs ?? 0);
    expect(totalMs).toBeGreaterThan(launchMs ?? 0);
  });

  it("fails a page whose script throws after the load event, naming the error and where", async () => {
    goodPage(`<script src="/late.js"></script>`);
    server.routes.set(
      "/late.js",
      script(
        `addEventListener("load", () => setTimeout(() => { throw new TypeError("cannot read the case list") }, 50));`,
      ),
    );
    const report = await runBrowserCheck(options("/"));
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      expect.stringMatching(/^uncaught exception: TypeError: cannot read the case list \(at .*\/late\.js:1:\d+\)$/),
    ]);
  });

  it("fails a page that leaves a promise rejection unhandled", async () => {
    goodPage(`<script>Promise.reject(new RangeError("no such matter"))</script>`);
    const report = await runBrowserCheck(options("/"));
    expect(report.problems).toEqual([expect.stringMatching(/^uncaught exception: RangeError: no such matter/)]);
  });

  it("fails a page with a missing script, naming its URL and status", async () => {
    goodPage(`<script src="/missing.js"></script>`);
    const report = await runBrowserCheck(options("/"));
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([`GET ${server.origin}/missing.js answered 404 Not Found`]);
  });

  it("fails a page that logs a console error, with the message and where it was logged", async () => {
    goodPage(`<script>console.error("could not load the calendar:", 503)</script>`);
    const report = await runBrowserCheck(options("/"));
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([`console error: could not load the calendar: 503 (at ${server.origin}/:2)`]);
  });

  it("fails a page whose marker is absent once it is idle and hydrated, without waiting for the deadline", async () => {
    server.routes.set("/", html(`<p data-testid="hydration" data-state="server"></p><script>${HYDRATE}</script>`));
    const report = await runBrowserCheck(options("/", { deadlineMs: 30_000 }));
    expect(report.problems).toEqual([
      `the marker ${DEFAULTS.marker} is not visible once the page is idle and hydrated: no element matches it`,
    ]);
    expect(report.timings.totalMs).toBeLessThan(15_000);
  });

  it("fails a page whose marker is hidden", async () => {
    goodPage(`<style>[data-testid="api-status"] { display: none }</style>`);
    const report = await runBrowserCheck(options("/"));
    expect(report.problems).toEqual([
      `the marker ${DEFAULTS.marker} is not visible once the page is idle and hydrated: it is hidden`,
    ]);
  });

  it("fails a page that never hydrates within the deadline, and ends within it", async () => {
    server.routes.set("/", html(MARKERS));
    const started = performance.now();
    // Long enough for Chromium to start on a loaded machine: the deadline must pass while the page
    // is awaited, not while the browser starts.
    const report = await runBrowserCheck(options("/", { deadlineMs: 10_000 }));
    const elapsed = performance.now() - started;
    expect(report.problems).toEqual([
      `the deadline of 10s passed waiting for the page to hydrate (${DEFAULTS.hydrated} to appear: does its JavaScript load and run?)`,
    ]);
    // Within the deadline, plus a moment to close Chromium.
    expect(elapsed).toBeLessThan(10_000 + 1500);
    // The evidence is still written: what the operator would have seen.
    expect(report.screenshot).toBe("screenshot.png");
  });

  it("fails a page whose document does not answer 200, naming the status", async () => {
    server.routes.set("/", send("text/html", "<p>upstream down</p>", 502));
    const report = await runBrowserCheck(options("/"));
    expect(report.problems).toEqual([`GET ${server.origin}/ answered 502 Bad Gateway, expected 200`]);
  });

  it("fails a page that does not answer within the deadline", async () => {
    server.routes.set("/", () => undefined);
    // Long enough for Chromium to start on a loaded machine (a CI run starts it in 3 s and more):
    // the deadline must pass while the page is awaited, not while the browser starts.
    const report = await runBrowserCheck(options("/", { deadlineMs: 10_000 }));
    expect(report.problems).toEqual([`the deadline of 10s passed waiting for ${server.origin}/ to answer`]);
    expect(report.timings.totalMs).toBeLessThan(10_000 + 1500);
    // Nothing was rendered: no picture of a blank page.
    expect(report.screenshot).toBeNull();
  });

  it("stops a page at the download cap and fails it, naming the request that crossed it", async () => {
    // 4 MiB sent over 8 s: the check must stop at the cap (256 KiB), long before the end.
    let sent = 0;
    server.routes.set("/big.bin", (_request, response) => {
      response.writeHead(200, { "content-type": "application/octet-stream" });
      const timer = setInterval(() => {
        if (response.destroyed || sent >= 64) {
          clearInterval(timer);
          response.end();
          return;
        }
        response.write(Buffer.alloc(64 * 1024, 7));
        sent += 1;
      }, 125);
    });
    goodPage(`<script>fetch("/big.bin").then((r) => r.arrayBuffer())</script>`);
    const report = await runBrowserCheck(options("/", { maxBytes: 256 * 1024 }));
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatch(
      new RegExp(
        `^downloaded \\d+(\\.\\d)? KiB, more than --max-bytes 256 KiB \\(the cap was crossed by ${server.origin}/big\\.bin\\)$`,
      ),
    );
    expect(report.problems[1]).toBe("the check stopped loading the page at the download cap");
    expect(report.bytes).toBeGreaterThan(256 * 1024);
    // Stopped long before the end: the server never sent the whole body.
    expect(sent).toBeLessThan(64);
  });

  it("aborts and reports a request to an origin not allowed; the other origin never sees it", async () => {
    outside.routes.set("/pixel.svg", send("image/svg+xml", '<svg xmlns="http://www.w3.org/2000/svg"/>'));
    goodPage(`<img src="${outside.origin}/pixel.svg" alt="">`);
    const blocked = await runBrowserCheck(options("/"));
    expect(blocked.problems).toEqual([
      `blocked a request to an origin not allowed: GET ${outside.origin}/pixel.svg (allowed: ${server.origin})`,
    ]);
    expect(outside.hits.get("/pixel.svg")).toBeUndefined();

    const allowed = await runBrowserCheck(options("/", { allowOrigins: [outside.origin] }));
    expect(allowed.problems).toEqual([]);
    expect(outside.hits.get("/pixel.svg")).toBe(1);
  });

  it("gives Chromium none of the check's environment", async () => {
    process.env.BROWSER_CHECK_TEST_SECRET = "s3cr3t-not-for-the-browser";
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The document is held back until the browser's processes have been read.
    goodPage();
    const page = server.routes.get("/");
    server.routes.set("/", (request, response) => void held.then(() => page?.(request, response)));
    const running = runBrowserCheck(options("/"));
    try {
      const environments = await browserEnvironments();
      expect(environments.length).toBeGreaterThan(0);
      for (const env of environments) {
        expect(Object.keys(env)).not.toContain("BROWSER_CHECK_TEST_SECRET");
        // What launch.ts gives it, and what Debian's /usr/bin/chromium wrapper script adds (its own
        // settings and the Debian build's public Google API keys), nothing else.
        expect(Object.keys(env).sort()).toEqual(
          [...Object.keys(browserEnvironment("/home")), ...DEBIAN_WRAPPER_VARIABLES].sort(),
        );
        expect(Object.values(env).join("\n")).not.toContain("s3cr3t");
        expect(env.HOME).toMatch(/\/browser-check-[^/]+\/home$/);
      }
    } finally {
      release();
      delete process.env.BROWSER_CHECK_TEST_SECRET;
      await running;
    }
  });
});

describe("browser-check program", () => {
  it("exits 0 on a good page and writes report.json with the timings and a real PNG screenshot", async () => {
    goodPage();
    const out = tempDir("browser-check-test-");
    const run = await runProgram(["--url", `${server.origin}/`, "--out", out, "--deadline", "10s"]);
    expect([run.status, run.stderr]).toEqual([0, ""]);
    expect(run.stdout).toMatch(
      new RegExp(
        `^browser check of ${server.origin}/: passed in [\\d.]+m?s \\(3 requests, [\\d.]+ (B|KiB), first byte \\d+ms, DOMContentLoaded \\d+ms, load \\d+ms\\)\\n`,
      ),
    );
    expect(readdirSync(out).sort()).toEqual(["report.json", "screenshot.png"]);
    const report = JSON.parse(readFileSync(`${out}/report.json`, "utf8"));
    expect(report).toMatchObject({ ok: true, problems: [], requests: 3, screenshot: "screenshot.png" });
    for (const name of ["firstByteMs", "domContentLoadedMs", "loadMs", "launchMs", "totalMs"]) {
      expect(report.timings[name]).toBeTypeOf("number");
    }
    const png = readFileSync(`${out}/screenshot.png`);
    expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    // The IHDR chunk: the viewport's width and height.
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1280, 800]);
  });

  it("exits 1 on a failing page and prints each problem under the verdict", async () => {
    goodPage(`<script src="/missing.js"></script>`);
    const out = tempDir("browser-check-test-");
    const run = await runProgram(["--url", `${server.origin}/`, "--out", out]);
    expect(run.status).toBe(1);
    expect(run.stdout.split("\n").slice(0, 2)).toEqual([
      expect.stringMatching(new RegExp(`^browser check of ${server.origin}/: FAILED in [\\d.]+m?s, 1 problem \\(`)),
      `  - GET ${server.origin}/missing.js answered 404 Not Found`,
    ]);
    expect(JSON.parse(readFileSync(`${out}/report.json`, "utf8"))).toMatchObject({ ok: false });
  });

  it("on SIGTERM stops the check, closes Chromium, removes its profile and still writes the report (exit 1)", async () => {
    server.routes.set("/", () => undefined);
    const out = tempDir("browser-check-test-");
    // Its own temporary folder: Chromium's profile is made there, and must be gone afterwards.
    const tmp = tempDir("browser-check-tmp-");
    const run = await runProgram(["--url", `${server.origin}/`, "--out", out, "--deadline", "30s"], {
      env: { ...process.env, TMPDIR: tmp },
      onStart: (child) => {
        const poll = setInterval(() => {
          // The page was requested: Chromium is up and waiting for the answer.
          if (server.hits.get("/")) {
            clearInterval(poll);
            child.kill("SIGTERM");
          }
        }, 20);
      },
    });
    expect(run.status).toBe(1);
    expect(run.stdout.split("\n").slice(0, 2)).toEqual([
      expect.stringMatching(/: FAILED in [\d.]+m?s, 1 problem \(/),
      "  - the check was stopped: SIGTERM received",
    ]);
    expect(JSON.parse(readFileSync(`${out}/report.json`, "utf8"))).toMatchObject({ ok: false, screenshot: null });
    expect(readdirSync(tmp)).toEqual([]);
    expect(processesMentioning(tmp)).toEqual([]);
  });
});

/**
 * Runs the program as an operator does; asynchronously, as the pages' server runs in this process.
 * `onStart` gets the child, e.g. to signal it.
 */
async function runProgram(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; onStart?: (child: ChildProcess) => void } = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"], env: options.env });
  options.onStart?.(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const status = await new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  return { status, stdout, stderr };
}

/** Pids of the processes whose command line mentions `text`. */
function processesMentioning(text: string): string[] {
  return readdirSync("/proc").filter((pid) => {
    try {
      return /^\d+$/.test(pid) && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text);
    } catch {
      return false;
    }
  });
}

/** The environments of the running Chromium processes of this check (their profile is a browser-check temp folder). */
async function browserEnvironments(): Promise<Array<Record<string, string>>> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const found: Array<Record<string, string>> = [];
    for (const pid of readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
        if (!cmdline.includes("--user-data-dir=") || !cmdline.includes("/browser-check-")) continue;
        // Chromium itself, not Debian's /usr/bin/chromium wrapper script still running in its shell
        // (caught before it execs the browser, it has not yet added its own variables).
        if (!readlinkSync(`/proc/${pid}/exe`).startsWith("/usr/lib/chromium/")) continue;
        const environ = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean);
        found.push(Object.fromEntries(environ.map((line) => [line.split("=")[0], line.slice(line.indexOf("=") + 1)])));
      } catch {
        // the process ended meanwhile
      }
    }
    if (found.length > 0) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return [];
}
