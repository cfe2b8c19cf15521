import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { buildWorkspaces } from "../../../apps/test/support/build.ts";
import { startApp } from "../../../apps/test/support/service-process.ts";
import { createTestDatabase, withClient } from "../support/database.ts";
import { applyMigrations } from "../support/prisma-migrations.ts";
import { PrivateRedis } from "../support/redis-server.ts";
import { runCli } from "../support/run-cli.ts";

/** The api's own migrations, as the ops image ships them (verify's default folder). */
const API_MIGRATIONS = fileURLToPath(new URL("../../../apps/api/prisma/migrations", import.meta.url));
const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

// The services run as their images run them: compiled (NestJS) and built (Next.js standalone).
buildWorkspaces(["packages/service-kit", "apps/api", "apps/web"]);
const database = await createTestDatabase("lh_verify_ref");
await withClient(database.url, (client) => applyMigrations(client, API_MIGRATIONS));
const redis = await PrivateRedis.start();
const redisEnv = { REDIS_HOST: "127.0.0.1", REDIS_PORT: String(redis.port) };
const api = await startApp("api", { DATABASE_URL: database.url, ...redisEnv });
const web = await startApp("web", { API_URL: api.url });

const ENV = { DATABASE_URL: database.url, ...redisEnv, API_URL: api.url, WEB_URL: web.url };

describe("lh-ci verify against the reference services", () => {
  it("passes when the api, the web, PostgreSQL, Redis and the migrations are all healthy", async () => {
    // Run from the repository root: the default --migrations-dir is the api's folder.
    const result = await runCli(["verify", "--timeout", "30s", "--json"], { env: ENV, cwd: ROOT });
    const report = JSON.parse(result.stdout);
    expect(report.checks.filter((check: { status: string }) => check.status !== "pass")).toEqual([]);
    expect(result.code).toBe(0);
  });

  it("fails with the api's own reason when Redis goes away", async () => {
    await redis.stop();
    const result = await runCli(["verify", "--timeout", "3s", "--request-timeout", "2s", "--json"], {
      env: ENV,
      cwd: ROOT,
    });
    expect(result.code).toBe(1);
    const byName = Object.fromEntries(
      JSON.parse(result.stdout).checks.map((check: { name: string; detail: string }) => [check.name, check.detail]),
    );
    expect(byName.api).toMatch(/^HTTP 503 from \/ready: redis down/);
    expect(byName.redis).toBe(`connection refused to 127.0.0.1:${redis.port}`);
    expect(byName.web).toMatch(/^HTTP 503 from \/api\/health: api: redis down/);
  });
});
