import { resolve } from "node:path";
import type { Command } from "../cli/command.ts";
import { ExitCode, UsageError } from "../cli/exit-codes.ts";
import { DEFAULT_MIGRATIONS_DIR, inspectMigrations } from "../migrations/database.ts";
import { describeProblems, PROBLEM_STATES } from "../migrations/state.ts";

/** `lh-ci migrations status`: the migrations folder against `_prisma_migrations`. */
export const migrationsStatus: Command = {
  name: "migrations status",
  summary: "show each migration as applied, pending, failed, rolled back or modified",
  help: `Usage: lh-ci migrations status [--env staging] [--migrations-dir DIR] [--json]

  --migrations-dir DIR   the Prisma migrations folder (default ${DEFAULT_MIGRATIONS_DIR})

Compares the folder with the database's _prisma_migrations table (DATABASE_URL). "modified"
means migration.sql changed after it was applied (its sha256 differs from the recorded checksum).
Exit 0 when every migration is applied, 1 with one line per pending, failed, rolled-back or
modified migration.`,
  options: { "migrations-dir": { type: "string", default: DEFAULT_MIGRATIONS_DIR } },
  async run({ values, out, cwd, envName, loadConfig }) {
    const { config } = loadConfig(["DATABASE_URL"]);
    const dir = resolve(cwd, String(values["migrations-dir"]));
    let inspected: Awaited<ReturnType<typeof inspectMigrations>>;
    try {
      inspected = await inspectMigrations(config.DATABASE_URL, dir);
    } catch (error) {
      if ((error as Error).message.startsWith("migrations folder")) throw new UsageError((error as Error).message);
      throw error;
    }
    const { statuses, tableExists } = inspected;
    const problems = describeProblems(statuses);
    if (values.json) {
      out.result(JSON.stringify({ env: envName, dir, tableExists, ok: problems.length === 0, migrations: statuses }));
    } else {
      const width = Math.max(8, ...statuses.map((status) => status.state.length));
      for (const status of statuses) out.result(`${status.state.padEnd(width)}  ${status.name}`);
    }
    if (!tableExists) out.warn("_prisma_migrations does not exist: no migration was ever applied to this database");
    for (const status of statuses.filter((candidate) => candidate.state === "missing-locally")) {
      out.warn(`${status.name}: ${status.detail}`);
    }
    for (const problem of problems) out.error(problem);
    if (problems.length > 0) {
      const blocking = statuses.filter((status) => PROBLEM_STATES.includes(status.state)).length;
      out.info(`${envName}: ${blocking} of ${statuses.length} migrations need attention`);
      return ExitCode.failed;
    }
    out.info(`${envName}: all ${statuses.length} migrations applied`);
    return ExitCode.ok;
  },
};
