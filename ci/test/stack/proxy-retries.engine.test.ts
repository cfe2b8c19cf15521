/**
 * The real compose/proxy/Caddyfile on a real Caddy (the e2e's stand-in), routed as a rollout routes
 * it: web pinned to one container's address (proxy-routes.ts), loaded through `docker exec ...
 * caddy reload` (docker.ts) as lh-ci does. What a request meets when that one upstream refuses.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as dockerCommands from "../../src/stack/docker.ts";
import { PROXY_CADDYFILE, renderProxyRoutes } from "../../src/stack/proxy-routes.ts";
import { runProcess } from "../support/run-process.ts";
import { tempDir } from "../support/temp-dir.ts";
import { CADDY_IMAGE, docker, NODE_IMAGE, requireEngine, uniqueName } from "./support/engine.ts";

requireEngine([CADDY_IMAGE, NODE_IMAGE]);

const CADDYFILE = readFileSync(join(import.meta.dirname, "../../../compose/proxy/Caddyfile"), "utf8");
/** A web answering 200, started and stopped by the tests (its pid in /tmp/pid of its container). */
const SERVER = `require("node:http").createServer((req, res) => res.end("ok")).listen(3000)`;

const name = uniqueName();
const web = `${name}-web`;
const proxy = `${name}-proxy`;

/** The proxy's web page, fetched inside its container: the status, and how long it took. */
async function request(): Promise<{ status: string; seconds: number }> {
  const started = performance.now();
  const result = await docker(
    ["exec", proxy, "wget", "-q", "-S", "-O", "/dev/null", "--no-check-certificate", "https://localhost/"],
    30_000,
  );
  const status = /HTTP\/\S+ (\d{3})/.exec(result.stderr)?.[1] ?? `no answer: ${result.stderr.trim()}`;
  return { status, seconds: (performance.now() - started) / 1000 };
}

async function startWebAfter(seconds: number): Promise<void> {
  const line = `sleep ${seconds}; node -e '${SERVER}' & echo $! > /tmp/pid; wait`;
  expect((await docker(["exec", "--detach", web, "sh", "-c", line])).code).toBe(0);
}

async function stopWeb(): Promise<void> {
  const line = 'kill "$(cat /tmp/pid)"; while kill -0 "$(cat /tmp/pid)" 2>/dev/null; do sleep 0.1; done';
  expect((await docker(["exec", web, "sh", "-c", line])).code).toBe(0);
}

/** Loads the Caddyfile with web routed to the web container's address only, as a rollout does. */
async function pinWeb(): Promise<{ code: number | null; stderr: string; seconds: number }> {
  const inspected = await docker([
    "inspect",
    "--format",
    `{{(index .NetworkSettings.Networks "${name}").IPAddress}}`,
    web,
  ]);
  const reload = dockerCommands.reloadProxy(proxy);
  const started = performance.now();
  const loaded = await runProcess(reload.program, [...reload.args], {
    input: renderProxyRoutes(CADDYFILE, { web: [inspected.stdout.trim()] }),
  });
  return { ...loaded, seconds: (performance.now() - started) / 1000 };
}

beforeAll(async () => {
  const caddyfile = join(tempDir(), "Caddyfile");
  writeFileSync(caddyfile, CADDYFILE);
  expect((await docker(["network", "create", name])).code).toBe(0);
  const app = await docker(["run", "--detach", "--name", web, "--network", name, NODE_IMAGE, "sleep", "infinity"]);
  expect(app.code, app.stderr).toBe(0);
  const started = await docker([
    ...["run", "--detach", "--name", proxy, "--network", name, "--env", "STAGING_DOMAIN=localhost"],
    ...["--volume", `${caddyfile}:${PROXY_CADDYFILE}:ro`, CADDY_IMAGE],
  ]);
  expect(started.code, started.stderr).toBe(0);
  // The admin API listens a moment after the start.
  for (let attempt = 1; ; attempt++) {
    const pinned = await pinWeb();
    if (pinned.code === 0) break;
    if (attempt >= 50) throw new Error(`the proxy never took its configuration: ${pinned.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await startWebAfter(0);
  // Its certificate is made on the first TLS request.
  for (let attempt = 1; (await request()).status !== "200"; attempt++) {
    if (attempt >= 50) throw new Error("the proxy never answered 200");
  }
}, 180_000);

afterAll(async () => {
  await docker(["rm", "--force", proxy, web]);
  await docker(["network", "rm", name]);
});

describe("the proxy's Caddyfile on a real Caddy, web pinned to one container", () => {
  it("answers a request as soon as its one upstream listens again: a refused try holds nothing back", async () => {
    await stopWeb();
    await startWebAfter(1);
    const answered = await request();
    expect(answered.status).toBe("200");
    // Passive health (fail_duration 5s) would have held it 5 s after its first refused try.
    expect(answered.seconds).toBeLessThan(3);
  }, 60_000);

  it("a reload answers 502 to a request between two tries, and returns without waiting for it", async () => {
    await stopWeb();
    const waiting = request();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const reload = await pinWeb();
    const answered = await waiting;
    expect(reload.code, reload.stderr).toBe(0);
    // Its retry budget (lb_try_duration 10s) was far from used up: the reload ended it.
    expect(answered.status).toBe("502");
    expect(answered.seconds).toBeLessThan(6);
    expect(reload.seconds).toBeLessThan(answered.seconds);
    await startWebAfter(0);
  }, 60_000);
});
