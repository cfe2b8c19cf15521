import { relative, resolve } from "node:path";
import type { Command } from "../cli/command.ts";
import { ExitCode, UsageError } from "../cli/exit-codes.ts";
import { DEFAULT_MIGRATIONS_DIR, inspectMigrations } from "../migrations/database.ts";
import { findDestructive, loadParser } from "../migrations/destructive.ts";
import { readMigrationsFolder } from "../migrations/folder.ts";
import { TO_APPLY_STATES } from "../migrations/state.ts";

/** `lh-ci migrations check`: refuses destructive statements in the migrations about to be applied. */
export const migrationsCheck: Command = {
  name: "migrations check",
  summary: "refuse destructive statements in pending migrations (unless --allow-destructive)",
  help: `Usage: lh-ci migrations check [--env staging] [--allow-destructive] [--migrations-dir DIR] [--json]

  --allow-destructive    report destructive statements as warnings and pass
  --migrations-dir DIR   the Prisma migrations folder (default ${DEFAULT_MIGRATIONS_DIR})

Parses every pending migration (the ones prisma migrate deploy would apply, per DATABASE_URL's
_prisma_migrations) with PostgreSQL's own parser and refuses: dropping a table, column, schema
or type; changing a column's type; renaming a table, column, schema, type or enum value;
TRUNCATE; DELETE or UPDATE without WHERE; making an existing column NOT NULL or adding a NOT NULL
column without a default; DROP OWNED, DROP ... CASCADE, ALTER ... SET SCHEMA. The whole parse
tree is read (a DELETE in a CTE, PREPARE, EXPLAIN ANALYZE or COPY counts; so does a WHERE that does
not depend on the row). DO blocks, function, procedure, trigger and rule bodies, unknown functions
and statements are refused as "cannot be checked". Changes to tables created (not IF NOT EXISTS)
in the same pending migrations are allowed. Prisma's own "Warnings:" header is reported too.
Each finding names file, line and statement.
Exit 0 when nothing destructive is pending (or --allow-destructive), 1 otherwise.`,
  options: {
    "allow-destructive": { type: "boolean", default: false },
    "migrations-dir": { type: "string", default: DEFAULT_MIGRATIONS_DIR },
  },
  async run({ values, out, cwd, envName, loadConfig }) {
    const { config } = loadConfig(["DATABASE_URL"]);
    const dir = resolve(cwd, String(values["migrations-dir"]));
    let files: ReturnType<typeof readMigrationsFolder>;
    try {
      files = readMigrationsFolder(dir);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const [{ statuses }] = await Promise.all([inspectMigrations(config.DATABASE_URL, dir), loadParser()]);
    const pendingNames = new Set(statuses.filter((s) => TO_APPLY_STATES.includes(s.state)).map((s) => s.name));
    const pending = files.filter((file) => pendingNames.has(file.name));
    const findings = findDestructive(pending).map((finding) => ({ ...finding, file: relative(cwd, finding.file) }));
    const allowed = Boolean(values["allow-destructive"]);
    const failed = statuses.filter((status) => status.state === "failed");

    if (values.json) {
      out.result(
        JSON.stringify({
          env: envName,
          pending: pending.map((file) => file.name),
          findings,
          allowed,
          failed: failed.map((status) => status.name),
        }),
      );
    }
    for (const status of failed) out.error(`${status.name}: failed (${status.detail})`);
    for (const finding of findings) {
      const line = `${finding.file}:${finding.line}: ${finding.message}${finding.statement ? `\n    ${finding.statement}` : ""}`;
      if (allowed) out.warn(line);
      else out.error(line);
    }
    if (!values.json) {
      out.result(
        `${pending.length} pending migration(s)${pending.length ? `: ${pending.map((f) => f.name).join(", ")}` : ""}`,
      );
    }
    if (failed.length > 0) {
      out.info("prisma migrate deploy refuses to run while a migration is failed; resolve it first");
      return ExitCode.failed;
    }
    if (findings.length > 0 && !allowed) {
      out.info(
        `refusing ${findings.length} destructive change(s); make the change in expand/contract steps that the running release survives, or pass --allow-destructive after a backup and review`,
      );
      return ExitCode.failed;
    }
    if (findings.length > 0) out.info(`allowed ${findings.length} destructive change(s) (--allow-destructive)`);
    else out.info("no destructive change in the pending migrations");
    return ExitCode.ok;
  },
};
