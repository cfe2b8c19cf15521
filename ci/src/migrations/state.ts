import type pg from "pg";
import type { MigrationFile } from "./folder.ts";

/**
 * What Prisma's `_prisma_migrations` table says about one migration of the folder:
 * - applied: finished, not rolled back, checksum matches migration.sql;
 * - modified: applied, but migration.sql changed since (its sha256 differs from the recorded one);
 * - failed: started and never finished (`prisma migrate deploy` stops on it until resolved);
 * - rolled-back: marked with `prisma migrate resolve --rolled-back`; deploy applies it again;
 * - pending: never applied;
 * - missing-locally: recorded in the database but absent from the folder (e.g. after an app
 *   rollback, since the schema goes forward only): reported, not a problem.
 */
export type MigrationState = "applied" | "modified" | "failed" | "rolled-back" | "pending" | "missing-locally";

export interface MigrationStatus {
  name: string;
  state: MigrationState;
  /** migration.sql, when the migration exists in the folder. */
  path?: string;
  /** Why, for every state but applied and pending. */
  detail?: string;
}

/** One row of `_prisma_migrations`. */
export interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  started_at: Date;
  logs: string | null;
}

/** States that block a deploy or a verify: the database is not at the folder's schema. */
export const PROBLEM_STATES: readonly MigrationState[] = ["modified", "failed", "rolled-back", "pending"];

/** Migrations `prisma migrate deploy` would apply next. */
export const TO_APPLY_STATES: readonly MigrationState[] = ["pending", "rolled-back"];

/** The rows of `_prisma_migrations`, or undefined when the table does not exist (a fresh database). */
export async function readMigrationRows(client: pg.Client): Promise<MigrationRow[] | undefined> {
  const exists = await client.query<{ present: boolean }>(
    "SELECT to_regclass('_prisma_migrations') IS NOT NULL AS present",
  );
  if (!exists.rows[0]?.present) return undefined;
  const result = await client.query<MigrationRow>(
    `SELECT migration_name, checksum, finished_at, rolled_back_at, started_at, logs
       FROM _prisma_migrations ORDER BY started_at, migration_name`,
  );
  return result.rows;
}

function firstLine(text: string | null): string {
  const line = (text ?? "").split("\n").find((candidate) => candidate.trim() !== "");
  return line ? `: ${line.trim().slice(0, 200)}` : "";
}

function stateOf(file: MigrationFile, rows: MigrationRow[]): MigrationStatus {
  const base = { name: file.name, path: file.path };
  const applied = rows.findLast((row) => row.finished_at !== null && row.rolled_back_at === null);
  if (applied) {
    if (applied.checksum !== file.checksum) {
      return {
        ...base,
        state: "modified",
        detail: `migration.sql changed after it was applied on ${applied.finished_at?.toISOString()} (checksum ${applied.checksum.slice(0, 12)}… recorded, ${file.checksum.slice(0, 12)}… now); restore the applied file and put the change in a new migration`,
      };
    }
    return { ...base, state: "applied" };
  }
  const failed = rows.findLast((row) => row.finished_at === null && row.rolled_back_at === null);
  if (failed) {
    return {
      ...base,
      state: "failed",
      detail: `started ${failed.started_at.toISOString()} and never finished${firstLine(failed.logs)}; fix the database, then run prisma migrate resolve --applied or --rolled-back ${file.name}`,
    };
  }
  if (rows.length > 0) {
    return {
      ...base,
      state: "rolled-back",
      detail: "marked rolled back; prisma migrate deploy applies it again",
    };
  }
  return { ...base, state: "pending" };
}

/** The state of every migration of the folder, in order, then the ones only the database knows. */
export function migrationStatuses(files: MigrationFile[], rows: MigrationRow[] | undefined): MigrationStatus[] {
  const byName = new Map<string, MigrationRow[]>();
  for (const row of rows ?? []) byName.set(row.migration_name, [...(byName.get(row.migration_name) ?? []), row]);
  const statuses = files.map((file) => stateOf(file, byName.get(file.name) ?? []));
  const known = new Set(files.map((file) => file.name));
  for (const name of byName.keys()) {
    if (!known.has(name)) {
      statuses.push({
        name,
        state: "missing-locally",
        detail: "recorded in the database but not in the migrations folder (a newer schema than this code?)",
      });
    }
  }
  return statuses;
}

/** One line per problem, e.g. "20261118141500_job_results: pending". */
export function describeProblems(statuses: MigrationStatus[]): string[] {
  return statuses
    .filter((status) => PROBLEM_STATES.includes(status.state))
    .map((status) => `${status.name}: ${status.state}${status.detail ? ` (${status.detail})` : ""}`);
}
