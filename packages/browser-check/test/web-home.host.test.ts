import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { buildWorkspaces } from "../../../apps/test/support/build.ts";
import { startApp } from "../../../apps/test/support/service-process.ts";
import { tempDir } from "../../../ci/test/support/temp-dir.ts";
import { runBrowserCheck } from "../src/check.ts";
import { type CheckOptions, DEFAULTS } from "../src/options.ts";
import { formatDuration } from "../src/units.ts";
import { requireChromium } from "./support/chromium.ts";

// The real web app: `next build` (standalone, its static assets and public/ beside the server, as
// the image has them), its standalone server as a process, in front of a stand-in api that is ready.
const chromiumPath = requireChromium();
buildWorkspaces(["packages/service-kit", "apps/web"]);

async function readyApi(): Promise<string> {
  const server = createServer((request, response) => {
    if (request.url !== "/ready") {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ status: "ready", checks: { postgres: "ok", redis: "ok" } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("browser check of the web app's home page", async () => {
  const web = await startApp("web", { API_URL: await readyApi(), API_TIMEOUT_MS: "1000" });
  const options = (): CheckOptions => ({
    url: new URL("/", web.url),
    deadlineMs: 15_000,
    maxBytes: 5 * 1024 * 1024,
    allowOrigins: [],
    outDir: tempDir("browser-check-web-"),
    markerSelector: DEFAULTS.marker,
    hydratedSelector: DEFAULTS.hydrated,
    chromiumPath,
  });

  it("passes: every script, style and image loads, React hydrates, the api's status is shown", async () => {
    // Twice: the first run pays for the server's first render of the page, as after a deploy.
    for (const run of ["first", "second"]) {
      const report = await runBrowserCheck(options());
      const { timings } = report;
      console.log(
        `browser check of the Next.js home page, ${run} run: ${formatDuration(timings.totalMs)} in all ` +
          `(Chromium's start ${formatDuration(timings.launchMs ?? 0)}, first byte ${timings.firstByteMs}ms, ` +
          `DOMContentLoaded ${timings.domContentLoadedMs}ms, load ${timings.loadMs}ms; ${report.requests} requests, ${report.bytes} bytes)`,
      );
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.marker).toEqual({ selector: DEFAULTS.marker, visible: true, text: "ready" });
      // The page's scripts and style, its image: more than the document alone.
      expect(report.requests).toBeGreaterThan(4);
      // Its duration is printed above, not asserted: a loaded machine (CI) starts Chromium slowly.
    }
  });
});
