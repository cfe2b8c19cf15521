import { readFileSync } from "node:fs";
import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { adminQuery, createTestDatabase, databaseUrl, withClient } from "../support/database.ts";
import { applyMigrations } from "../support/prisma-migrations.ts";
import { PrivateRedis } from "../support/redis-server.ts";
import { runCli } from "../support/run-cli.ts";
import { tempDir } from "../support/temp-dir.ts";

const MIGRATIONS = fileURLToPath(new URL("../fixtures/safety-migrations", import.meta.url));
const dir = tempDir("lh-verify-hostile-");

/** A real HTTP server on loopback; `sent` counts the body bytes it managed to write before the client hung up. */
async function serve(listener: RequestListener): Promise<{ url: string; sent: () => number }> {
  let sent = 0;
  const server = createServer((request, response) => {
    const write = response.write.bind(response);
    response.write = ((chunk: Buffer | string, ...rest: never[]) => {
      sent += Buffer.byteLength(chunk);
      return write(chunk, ...rest);
    }) as typeof response.write;
    listener(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sent: () => sent };
}

const json =
  (body: unknown): RequestListener =>
  (_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify(body));
  };

/** Writes 16 KiB chunks for as long as the client reads, then stops when it goes away. */
function endless(headers: Record<string, string>): RequestListener {
  return (_request, response) => {
    response.writeHead(200, headers);
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    const pump = () => {
      while (!response.destroyed && response.write(chunk)) {
        // keep writing until the socket buffer is full
      }
    };
    response.on("drain", pump);
    pump();
  };
}

const GiB = 1024 ** 3;
const healthy = await serve(json({ status: "ready", checks: { postgres: "ok" }, failing: [] }));
const huge = await serve(endless({ "content-type": "application/json", "content-length": String(2 * GiB) }));
const hugeChunked = await serve(endless({ "content-type": "application/json" }));
const cutShort = await serve((_request, response) => {
  response.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
  response.write('{"status":"ok"');
  setTimeout(() => response.socket?.destroy(), 20);
});
const drip = await serve((_request, response) => {
  response.writeHead(200, { "content-type": "application/json" });
  const timer = setInterval(() => response.write(" "), 100);
  response.on("close", () => clearInterval(timer));
});
const sayingError = await serve(json({ status: "error", error: "database unreachable" }));
const sayingNotOk = await serve(json({ ok: false }));
const escaping = await serve((_request, response) => {
  response.writeHead(500, { "content-type": "text/plain" });
  response.end("boom\u001b[2J\u001b[31m forged line\rerror: all good\n");
});

const [migrated, empty] = await Promise.all([
  createTestDatabase("lh_verify_hostile"),
  createTestDatabase("lh_verify_hostile"),
]);
await withClient(migrated.url, (client) => applyMigrations(client, MIGRATIONS));
const redis = await PrivateRedis.start();
const HEALTHY: Record<string, string> = {
  DATABASE_URL: migrated.url,
  REDIS_HOST: "127.0.0.1",
  REDIS_PORT: String(redis.port),
  API_URL: healthy.url,
  WEB_URL: healthy.url,
};

interface Report {
  checks: Array<{ name: string; status: string; detail: string; attempts: number }>;
}

async function verify(overrides: Record<string, string>, args = ["--timeout", "3s", "--request-timeout", "1s"]) {
  const result = await runCli(["verify", "--migrations-dir", MIGRATIONS, "--json", ...args], {
    env: { ...HEALTHY, ...overrides },
    cwd: dir,
  });
  const report = JSON.parse(result.stdout) as Report;
  const byName = Object.fromEntries(report.checks.map((check) => [check.name, check]));
  const failing = report.checks.filter((check) => check.status === "fail").map((check) => check.name);
  return { ...result, byName, failing };
}

describe("lh-ci verify against hostile answers", () => {
  it("a 200 with a 2 GiB body fails at the 64 KiB cap, and the connection is dropped", async () => {
    const run = await verify({ API_URL: huge.url });
    expect(run.code).toBe(1);
    expect(run.failing).toEqual(["api"]);
    expect(run.byName.api?.detail).toContain(
      `HTTP 200 from /ready, but the body is ${2 * GiB} bytes, over the 64 KiB limit`,
    );
    expect(huge.sent()).toBeLessThan(64 * 1024 * 1024);
  });

  it("a 200 streaming an endless body without a length fails at the cap", async () => {
    const run = await verify({ WEB_URL: hugeChunked.url });
    expect(run.failing).toEqual(["web"]);
    expect(run.byName.web?.detail).toContain("HTTP 200 from /api/health, but the body is over the 64 KiB limit");
    expect(hugeChunked.sent()).toBeLessThan(64 * 1024 * 1024);
  });

  it("a body cut short by a closed connection is a failure, not a pass", async () => {
    const run = await verify({ API_URL: cutShort.url });
    expect(run.failing).toEqual(["api"]);
    expect(run.byName.api?.detail).toContain("HTTP 200 from /ready, but the body was cut short");
  });

  it("the deadline covers the body: a body dripping forever times out", async () => {
    const run = await verify({ API_URL: drip.url });
    expect(run.failing).toEqual(["api"]);
    expect(run.byName.api?.detail).toMatch(/timed out after (1s|3s)/);
  });

  it('a 200 whose JSON says "status": "error" fails', async () => {
    const run = await verify({ API_URL: sayingError.url });
    expect(run.failing).toEqual(["api"]);
    expect(run.byName.api?.detail).toBe('HTTP 200 from /ready, but the body says it is not ok: "status": "error"');
  });

  it('a 200 whose JSON says "ok": false fails', async () => {
    const run = await verify({ WEB_URL: sayingNotOk.url });
    expect(run.byName.web?.detail).toBe('HTTP 200 from /api/health, but the body says it is not ok: "ok": false');
  });

  it("control characters in a body are printed escaped, never raw (terminal and step summary)", async () => {
    const summary = join(dir, "summary.md");
    const table = await runCli(["verify", "--migrations-dir", MIGRATIONS, "--timeout", "2s", "--summary", summary], {
      env: { ...HEALTHY, API_URL: escaping.url },
      cwd: dir,
    });
    expect(table.code).toBe(1);
    for (const raw of ["\u001b", "\r"]) expect(table.stdout + table.stderr).not.toContain(raw);
    expect(table.stdout).toContain("HTTP 500 from /ready: boom\\u001b[2J\\u001b[31m forged line error: all good");
    expect(readFileSync(summary, "utf8")).toContain("boom\\u001b[2J");
    expect(readFileSync(summary, "utf8")).not.toContain("\u001b");
  });

  it("an unknown database fails at once instead of being retried until the deadline", async () => {
    const run = await verify({ DATABASE_URL: databaseUrl("lh_verify_no_such_database") });
    expect(run.byName.postgres?.detail).toBe(
      "PostgreSQL refused the connection: the database does not exist; check DATABASE_URL",
    );
    expect(run.byName.postgres?.attempts).toBe(1);
    expect(run.byName.migrations?.attempts).toBe(1);
  });

  it("a refused login fails at once", async () => {
    const role = `lh_verify_nologin_${process.pid}`;
    await adminQuery(`DROP ROLE IF EXISTS ${role}`);
    await adminQuery(`CREATE ROLE ${role} NOLOGIN`);
    afterAll(() => adminQuery(`DROP ROLE IF EXISTS ${role}`));
    const url = new URL(migrated.url);
    url.username = role;
    const run = await verify({ DATABASE_URL: url.toString() });
    expect(run.byName.postgres?.detail).toContain("PostgreSQL refused the connection: authentication refused");
    expect(run.byName.postgres?.attempts).toBe(1);
  });

  it("a database without _prisma_migrations fails at once", async () => {
    const run = await verify({ DATABASE_URL: empty.url });
    expect(run.failing).toEqual(["migrations"]);
    expect(run.byName.migrations?.detail).toBe("_prisma_migrations does not exist: no migration was ever applied");
    expect(run.byName.migrations?.attempts).toBe(1);
  });

  it("a Redis refusing the password fails at once", async () => {
    const admin = new Redis({ host: "127.0.0.1", port: redis.port, lazyConnect: true });
    await admin.connect();
    await admin.config("SET", "requirepass", "the-right-redis-pass");
    await admin.quit();
    const run = await verify({ REDIS_PASSWORD: "a-wrong-redis-pass" });
    expect(run.failing).toEqual(["redis"]);
    expect(run.byName.redis?.detail).toBe(
      `Redis at 127.0.0.1:${redis.port} refused the password; check REDIS_PASSWORD`,
    );
    expect(run.byName.redis?.attempts).toBe(1);
    expect(run.stdout + run.stderr).not.toContain("a-wrong-redis-pass");
  });
});
