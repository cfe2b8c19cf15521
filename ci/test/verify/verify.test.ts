import { readFileSync } from "node:fs";
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase, databaseUrl, withClient } from "../support/database.ts";
import { applyMigrations } from "../support/prisma-migrations.ts";
import { freePort, PrivateRedis } from "../support/redis-server.ts";
import { runCli } from "../support/run-cli.ts";
import { tempDir } from "../support/temp-dir.ts";

const MIGRATIONS = fileURLToPath(new URL("../fixtures/safety-migrations", import.meta.url));
const PENDING = "20260103000000_matter_title";
const dir = tempDir("lh-verify-");

async function serve(listener: RequestListener): Promise<{ url: string; server: Server }> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const json =
  (status: number, body: unknown): RequestListener =>
  (_request, response) => {
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify(body));
  };

const [migrated, behind] = await Promise.all([createTestDatabase("lh_verify"), createTestDatabase("lh_verify")]);
await withClient(migrated.url, (client) => applyMigrations(client, MIGRATIONS));
await withClient(behind.url, (client) => applyMigrations(client, MIGRATIONS, 2));
const [redis, doomedRedis] = await Promise.all([PrivateRedis.start(), PrivateRedis.start()]);
const healthy = await serve(json(200, { ready: true, checks: { postgres: "ok", redis: "ok" }, failing: [] }));
const silent = await serve(() => {
  // accepts the connection, reads the request, never answers
});
const broken = await serve((_request, response) => {
  response.writeHead(500, { "content-type": "text/plain" });
  response.end("Internal Server Error: boom");
});
const redisDown = await serve(
  json(503, {
    ready: false,
    checks: { postgres: "ok", redis: "connect ECONNREFUSED 10.0.0.5:6379" },
    failing: ["redis"],
  }),
);
const closedPort = await freePort();

const HEALTHY: Record<string, string> = {
  DATABASE_URL: migrated.url,
  REDIS_HOST: "127.0.0.1",
  REDIS_PORT: String(redis.port),
  API_URL: healthy.url,
  WEB_URL: healthy.url,
};

interface Report {
  passed: boolean;
  checks: Array<{ name: string; status: string; detail: string; attempts: number }>;
}

async function verify(
  overrides: Record<string, string>,
  args: string[] = ["--timeout", "3s", "--request-timeout", "1s"],
) {
  const started = Date.now();
  const result = await runCli(["verify", "--migrations-dir", MIGRATIONS, "--json", ...args], {
    env: { ...HEALTHY, ...overrides },
    cwd: dir,
  });
  const report = JSON.parse(result.stdout) as Report;
  const byName = Object.fromEntries(report.checks.map((check) => [check.name, check]));
  return { ...result, report, byName, wallMs: Date.now() - started };
}

/** Exactly one check fails, with this reason; the others pass. */
function expectOnlyFailure(run: Awaited<ReturnType<typeof verify>>, name: string, reason: string | RegExp): void {
  expect(run.code).toBe(1);
  expect(run.report.passed).toBe(false);
  const failing = run.report.checks.filter((check) => check.status === "fail").map((check) => check.name);
  expect(failing).toEqual([name]);
  if (typeof reason === "string") expect(run.byName[name]?.detail).toContain(reason);
  else expect(run.byName[name]?.detail).toMatch(reason);
}

describe("lh-ci verify", () => {
  it("passes against healthy services, with a table and a Markdown summary", async () => {
    const summary = join(dir, "summary.md");
    const result = await runCli(["verify", "--migrations-dir", MIGRATIONS, "--summary", summary], {
      env: HEALTHY,
      cwd: dir,
    });
    expect(result.stderr).not.toContain("error");
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^check +status +time +tries +detail$/);
    for (const name of ["api", "web", "postgres", "redis", "migrations"]) {
      expect(lines.find((line) => line.startsWith(`${name} `))).toMatch(/ pass /);
    }
    expect(result.stdout).toMatch(/postgres +pass .* PostgreSQL 15\./);
    expect(result.stdout).toMatch(/redis +pass .* PONG, Redis 7\./);
    expect(result.stdout).toContain("all 3 migrations applied");
    expect(lines.at(-1)).toMatch(/^staging: verified, all 5 checks passed in /);
    const markdown = readFileSync(summary, "utf8");
    expect(markdown).toContain("### ✅ staging: verified in");
    expect(markdown).toContain("| api | ✅ pass |");
  });

  it("asks under the path of API_URL and WEB_URL (a service behind a reverse proxy's prefix)", async () => {
    const asked: string[] = [];
    const prefixed = await serve((request, response) => {
      asked.push(request.url ?? "");
      const known = ["/lh/api/ready", "/lh/web/api/health"].includes(request.url ?? "");
      json(known ? 200 : 404, known ? { ready: true } : { error: "not here" })(request, response);
    });
    const run = await verify({ API_URL: `${prefixed.url}/lh/api`, WEB_URL: `${prefixed.url}/lh/web/` });
    expect(run.report.checks.filter((check) => check.status !== "pass")).toEqual([]);
    expect(run.code).toBe(0);
    expect(asked.sort()).toEqual(["/lh/api/ready", "/lh/web/api/health"]);
  });

  it("fails on a server that accepts and never answers: timed out, within the deadline", async () => {
    const run = await verify({ API_URL: silent.url });
    // Attempts of 1s each; the last one ends with the 3s deadline, and then that is the reason.
    const url = `${silent.url}/ready`.replace(/[.]/g, "\\.");
    const reason = `timed out after (1s|3s \\(the --timeout deadline\\)) waiting for GET ${url}$`;
    expectOnlyFailure(run, "api", new RegExp(reason));
    expect(run.byName.api?.attempts).toBeGreaterThan(1);
    expect(run.wallMs).toBeLessThan(3000 + 5000);
  });

  it("keeps what an earlier attempt found when the last one is cut short by the deadline", async () => {
    // Answers 503 once, then never again: the last attempt hangs until the deadline ends it.
    let asked = 0;
    const flaky = await serve((request, response) => {
      asked++;
      if (asked === 1) json(503, { ready: false, failing: ["postgres"] })(request, response);
    });
    const run = await verify({ API_URL: flaky.url }, ["--timeout", "3s", "--request-timeout", "60s"]);
    expectOnlyFailure(run, "api", "HTTP 503 from /ready");
    expect(run.byName.api?.attempts).toBeGreaterThan(1);
  });

  it("holds the deadline even when one attempt's budget is longer", async () => {
    const run = await verify({ API_URL: silent.url }, ["--timeout", "2s", "--request-timeout", "60s"]);
    expectOnlyFailure(run, "api", "timed out after 2s (the --timeout deadline)");
    expect(run.wallMs).toBeLessThan(2000 + 5000);
  });

  it("fails on a 500 with the status and the body", async () => {
    const run = await verify({ WEB_URL: broken.url });
    expectOnlyFailure(run, "web", "HTTP 500 from /api/health: Internal Server Error: boom");
  });

  it("names the failing dependency of a 503 from /ready", async () => {
    const run = await verify({ API_URL: redisDown.url });
    expectOnlyFailure(run, "api", "HTTP 503 from /ready: redis down (connect ECONNREFUSED 10.0.0.5:6379)");
  });

  it("fails on a closed port: connection refused", async () => {
    const run = await verify({ API_URL: `http://127.0.0.1:${closedPort}` });
    expectOnlyFailure(run, "api", `connection refused to 127.0.0.1:${closedPort}`);
  });

  it("fails when Redis is unreachable", async () => {
    await doomedRedis.stop();
    const run = await verify({ REDIS_PORT: String(doomedRedis.port) });
    expectOnlyFailure(run, "redis", `connection refused to 127.0.0.1:${doomedRedis.port}`);
  });

  it("fails on a pending migration, naming it", async () => {
    const run = await verify({ DATABASE_URL: behind.url });
    expectOnlyFailure(run, "migrations", `1 of 3 migrations not applied: ${PENDING} pending`);
  });

  it("fails when PostgreSQL is unreachable, without printing the password", async () => {
    // A closed port on this process's own loopback (the shared PostgreSQL may be another host).
    const url = new URL(databaseUrl("lawyers_hub"));
    url.hostname = "127.0.0.1";
    url.port = String(closedPort);
    url.username = "lawyers_hub";
    url.password = "verify-db-secret-42";
    const run = await verify({ DATABASE_URL: url.toString() });
    expect(run.code).toBe(1);
    expect(run.byName.postgres?.detail).toBe(`connection refused to 127.0.0.1:${closedPort}`);
    expect(run.byName.migrations?.detail).toBe(`connection refused to 127.0.0.1:${closedPort}`);
    expect(run.stdout + run.stderr).not.toContain("verify-db-secret-42");
  });

  it("refuses a --timeout that is not a duration with exit 2", async () => {
    const result = await runCli(["verify", "--timeout", "forever"], { env: HEALTHY, cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--timeout: "forever" is not a duration');
  });
});
