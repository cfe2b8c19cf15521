import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { buildWorkspaces } from "../../test/support/build.ts";
import { startApp } from "../../test/support/service-process.ts";
import { eventually } from "../../test/support/wait.ts";

// A real `next build` (standalone output, with its static assets and public/ beside the server, as
// the image has them), then the standalone server as a process, in front of a stand-in api.
buildWorkspaces(["packages/service-kit", "apps/web"]);

/** A stand-in api whose /ready answer (and its delay) each test sets. */
async function fakeApi(): Promise<{
  url: string;
  state: { status: number; delayMs: number; calls: number; proxiedCalls: number };
  server: Server;
}> {
  const state = { status: 200, delayMs: 0, calls: 0, proxiedCalls: 0 };
  const server = createServer((request, response) => {
    const answer = () => {
      const ready = state.status === 200;
      response.writeHead(state.status, { "content-type": "application/json" });
      response.end(
        JSON.stringify({
          status: ready ? "ready" : "not ready",
          checks: { postgres: "ok", redis: ready ? "ok" : "not connected <reconnecting>" },
          failing: ready ? [] : ["redis"],
        }),
      );
    };
    // The api as it answers directly, and behind a proxy that serves it under /behind-proxy.
    if (request.url !== "/ready" && request.url !== "/behind-proxy/ready") {
      response.writeHead(404).end();
      return;
    }
    state.calls += 1;
    if (request.url === "/behind-proxy/ready") state.proxiedCalls += 1;
    if (state.delayMs > 0) setTimeout(answer, state.delayMs);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, state, server };
}

describe("web", async () => {
  const api = await fakeApi();
  const web = await startApp("web", { API_URL: api.url, API_TIMEOUT_MS: "1000" });
  const proxied = await startApp("web", { API_URL: `${api.url}/behind-proxy/`, API_TIMEOUT_MS: "1000" });

  it("answers /api/health 200 when the api is ready", async () => {
    api.state.status = 200;
    const response = await web.get("/api/health");
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ok", api: { ready: true, httpStatus: 200 } });
  });

  it("answers /api/health 503 when the api is not ready or does not answer in time", async () => {
    api.state.status = 503;
    const notReady = await web.get("/api/health");
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ status: "degraded", api: { ready: false, httpStatus: 503 } });

    api.state.status = 200;
    api.state.delayMs = 2000;
    const slow = await web.get("/api/health");
    expect(slow.status).toBe(503);
    expect(((await slow.json()) as { api: { error: string } }).api.error).toContain("api did not answer");
    api.state.delayMs = 0;
  });

  it("renders the api's status server-side, at request time, escaping what the api says", async () => {
    api.state.status = 503;
    const page = await web.get("/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    const html = await page.text();
    expect(html).toMatch(/data-testid="api-status" data-api-status="not ready"/);
    expect(html).toContain("not connected &lt;reconnecting&gt;");
    api.state.status = 200;
    expect(await (await web.get("/")).text()).toContain('data-api-status="ready"');
  });

  it("serves every script, style and image the page names (200), and its client component for hydration", async () => {
    const html = await (await web.get("/")).text();
    const assets = [...new Set([...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((match) => match[1] ?? ""))];
    expect(assets.filter((path) => path.startsWith("/_next/static/") && path.endsWith(".js")).length).toBeGreaterThan(
      0,
    );
    expect(assets.some((path) => path.endsWith(".css"))).toBe(true);
    expect(assets).toContain("/lawyers-hub.svg");
    for (const path of assets) expect([path, (await web.get(path)).status]).toEqual([path, 200]);
    // The client component is rendered on the server in its initial state and shipped to the browser.
    expect(html).toMatch(/data-testid="hydration" data-state="server"/);
    expect((await web.get("/_next/static/does-not-exist.js")).status).toBe(404);
  });

  it("keeps API_URL's path: an api behind a proxy path is asked at that path's /ready", async () => {
    api.state.status = 200;
    const before = api.state.proxiedCalls;
    const response = await proxied.get("/api/health");
    expect(response.status).toBe(200);
    expect(api.state.proxiedCalls).toBe(before + 1);
  });

  it("is itself ready and exposes its metrics", async () => {
    expect((await web.get("/ready")).status).toBe(200);
    const metrics = await (await web.get("/metrics")).text();
    expect(metrics).toMatch(/http_requests_total\{method="GET",route="\/api\/health",status_code="503"/);
    expect(metrics).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/"/);
  });

  it("on SIGTERM finishes the request in flight, answers what still arrives, and exits 143 once a second passed without a request", async () => {
    api.state.status = 200;
    api.state.delayMs = 700;
    const calls = api.state.calls;
    const inFlight = web.get("/api/health");
    await eventually("the request to reach the api", async () => (api.state.calls > calls ? true : undefined));
    const signalled = Date.now();
    web.signal("SIGTERM");
    // What a proxy sent just before it switched away still gets its answer, not a reset.
    const late = await web.get("/health");
    expect(late.status).toBe(200);
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await web.exited).toEqual({ code: 143, signal: null });
    // Not before the in-flight request was answered and a quiet second followed.
    expect(Date.now() - signalled).toBeGreaterThanOrEqual(1_000);
    await expect(web.get("/health")).rejects.toThrow();
  });
});
