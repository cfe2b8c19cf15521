import { appendFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "../cli/command.ts";
import { ExitCode, UsageError } from "../cli/exit-codes.ts";
import { DEFAULT_MIGRATIONS_DIR } from "../migrations/database.ts";
import { formatDuration, parseDuration } from "../state/duration.ts";
import { markdownSummary, textTable } from "../verify/report.ts";
import { verifyEnvironment } from "../verify/verify.ts";

function durationOption(name: string, value: unknown): number {
  const ms = parseDuration(String(value));
  if (ms === undefined) throw new UsageError(`--${name}: "${value}" is not a duration; write e.g. 120s, 2m or 500ms`);
  return ms;
}

/** `lh-ci verify`: is the deployed environment healthy? */
export const verify: Command = {
  name: "verify",
  summary: "verify a deployed environment: api and web health, PostgreSQL 15, Redis 7, migrations applied",
  help: `Usage: lh-ci verify [--env staging] [--timeout 120s] [--request-timeout 5s] [--summary FILE]
                 [--migrations-dir DIR] [--json]

Runs these checks in parallel, each retried with backoff (services may still be starting)
until it passes or the deadline passes:
  api         GET $API_URL/ready answers 200
  web         GET $WEB_URL/api/health answers 200
  postgres    DATABASE_URL answers and is PostgreSQL 15
  redis       REDIS_HOST:REDIS_PORT answers PING and is Redis 7
  migrations  every migration of --migrations-dir is applied (none pending, failed or modified)

  --timeout DURATION          the deadline for everything (default 120s); the command ends
                              within it (plus a moment to close connections)
  --request-timeout DURATION  the budget of one attempt: connect, headers and body (default 5s)
  --summary FILE              append a Markdown report to FILE (e.g. "$GITHUB_STEP_SUMMARY")
  --migrations-dir DIR        default ${DEFAULT_MIGRATIONS_DIR}

Prints a table: check, status, time taken, attempts, and what passed or precisely why not
("connection refused to api:4000", "HTTP 503 from /ready: redis down", "timed out after 5s ...").
Exit 0 only when every check passed, 1 otherwise.`,
  options: {
    timeout: { type: "string", default: "120s" },
    "request-timeout": { type: "string", default: "5s" },
    summary: { type: "string" },
    "migrations-dir": { type: "string", default: DEFAULT_MIGRATIONS_DIR },
  },
  async run({ values, out, cwd, envName, loadConfig }) {
    const deadlineMs = durationOption("timeout", values.timeout);
    const requestTimeoutMs = durationOption("request-timeout", values["request-timeout"]);
    const { config } = loadConfig(["DATABASE_URL", "REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD", "API_URL", "WEB_URL"]);
    out.info(`Verifying ${envName} (deadline ${formatDuration(deadlineMs)})...`);
    const report = await verifyEnvironment(config, {
      env: envName,
      deadlineMs,
      requestTimeoutMs,
      migrationsDir: resolve(cwd, String(values["migrations-dir"])),
      onReport: (check) => out.info(`  ${check.name}: ${check.status} after ${formatDuration(check.durationMs)}`),
    });
    if (values.json) out.result(JSON.stringify(report));
    else for (const line of textTable(report)) out.result(line);
    if (typeof values.summary === "string") {
      appendFileSync(resolve(cwd, values.summary), `${out.redactor.redact(markdownSummary(report))}\n`);
    }
    return report.passed ? ExitCode.ok : ExitCode.failed;
  },
};
