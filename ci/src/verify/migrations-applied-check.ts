import { readMigrationsFolder } from "../migrations/folder.ts";
import { migrationStatuses, PROBLEM_STATES, readMigrationRows } from "../migrations/state.ts";
import type { Check } from "./check.ts";
import { CheckFailure } from "./check.ts";
import { withPostgres } from "./postgres-client.ts";

/** Every migration of the folder is applied (none pending, failed, rolled back or modified). */
export function migrationsAppliedCheck(databaseUrl: string, dir: string): Check {
  return {
    name: "migrations",
    target: `${dir} against _prisma_migrations`,
    async attempt(signal, timeoutMs) {
      let files: ReturnType<typeof readMigrationsFolder>;
      try {
        files = readMigrationsFolder(dir);
      } catch (error) {
        throw new CheckFailure((error as Error).message, { final: true });
      }
      return withPostgres(databaseUrl, signal, timeoutMs, async (client) => {
        const rows = await readMigrationRows(client);
        // Final: migrations run before verify, so waiting will not create the table.
        if (!rows) {
          throw new CheckFailure("_prisma_migrations does not exist: no migration was ever applied", { final: true });
        }
        const problems = migrationStatuses(files, rows).filter((status) => PROBLEM_STATES.includes(status.state));
        if (problems.length > 0) {
          throw new CheckFailure(
            `${problems.length} of ${files.length} migrations not applied: ${problems.map((p) => `${p.name} ${p.state}`).join(", ")}`,
          );
        }
        return `all ${files.length} migrations applied`;
      });
    },
  };
}
