import type { Check } from "./check.ts";
import { CheckFailure } from "./check.ts";
import { postgresPlace, withPostgres } from "./postgres-client.ts";

/** PostgreSQL answers, and its major version is the one the stack is built for (pg_dump must match). */
export function postgresCheck(databaseUrl: string, expectedMajor = 15): Check {
  const { host, port } = postgresPlace(databaseUrl);
  return {
    name: "postgres",
    target: `PostgreSQL at ${host}:${port}`,
    attempt: (signal, timeoutMs) =>
      withPostgres(databaseUrl, signal, timeoutMs, async (client) => {
        const result = await client.query<{ server_version_num: string; server_version: string }>(
          "SELECT current_setting('server_version_num') AS server_version_num, current_setting('server_version') AS server_version",
        );
        const row = result.rows[0];
        const major = Math.floor(Number(row?.server_version_num) / 10_000);
        if (major !== expectedMajor) {
          throw new CheckFailure(
            `PostgreSQL ${row?.server_version} at ${host}:${port}, expected major version ${expectedMajor}`,
            { final: true },
          );
        }
        return `PostgreSQL ${row?.server_version.split(" ")[0]}`;
      }),
  };
}
