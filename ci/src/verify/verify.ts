import { Agent } from "undici";
import type { Config } from "../config/schema.ts";
import { urlUnder } from "../http/url-under.ts";
import type { Check, CheckReport } from "./check.ts";
import { httpCheck } from "./http-check.ts";
import { migrationsAppliedCheck } from "./migrations-applied-check.ts";
import { postgresCheck } from "./postgres-check.ts";
import { redisCheck } from "./redis-check.ts";
import type { VerifyReport } from "./report.ts";
import { runChecks } from "./run-checks.ts";

export type VerifyConfig = Pick<
  Config,
  "DATABASE_URL" | "REDIS_HOST" | "REDIS_PORT" | "REDIS_PASSWORD" | "API_URL" | "WEB_URL"
>;

export interface VerifyOptions {
  env: string;
  deadlineMs: number;
  requestTimeoutMs: number;
  migrationsDir: string;
  onReport?: (report: CheckReport) => void;
}

/** The checks of a deployed environment: api and web health, PostgreSQL 15, Redis 7, migrations applied. */
export function environmentChecks(config: VerifyConfig, migrationsDir: string, agent: Agent): Check[] {
  return [
    httpCheck("api", urlUnder(config.API_URL, "ready"), agent),
    httpCheck("web", urlUnder(config.WEB_URL, "api/health"), agent),
    postgresCheck(config.DATABASE_URL),
    redisCheck({ host: config.REDIS_HOST, port: config.REDIS_PORT, password: config.REDIS_PASSWORD }),
    migrationsAppliedCheck(config.DATABASE_URL, migrationsDir),
  ];
}

/** Verifies an environment within the deadline. */
export async function verifyEnvironment(config: VerifyConfig, options: VerifyOptions): Promise<VerifyReport> {
  // An agent of our own, closed at the end, so no keep-alive socket holds the process open.
  const agent = new Agent({ connect: { timeout: options.requestTimeoutMs }, keepAliveTimeout: 1000, pipelining: 0 });
  const started = performance.now();
  try {
    const checks = await runChecks(environmentChecks(config, options.migrationsDir, agent), {
      deadlineMs: options.deadlineMs,
      attemptTimeoutMs: options.requestTimeoutMs,
      onReport: options.onReport,
    });
    return {
      env: options.env,
      passed: checks.every((check) => check.status === "pass"),
      deadlineMs: options.deadlineMs,
      elapsedMs: Math.round(performance.now() - started),
      checks,
    };
  } finally {
    await agent.destroy().catch(() => undefined);
  }
}
