import pg from "pg";
import { CheckFailure } from "./check.ts";
import { networkReason } from "./reasons.ts";

/** Host and port of a PostgreSQL URL, for messages (never the password). */
export function postgresPlace(databaseUrl: string): { host: string; port: string } {
  const url = new URL(databaseUrl);
  return { host: url.hostname, port: url.port || "5432" };
}

/**
 * Runs `work` on a fresh connection that cannot outlive the attempt: connect and query timeouts
 * are the attempt's, and an abort ends the connection at once.
 */
export async function withPostgres<T>(
  databaseUrl: string,
  signal: AbortSignal,
  timeoutMs: number,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({
    connectionString: databaseUrl,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    application_name: "lh-ci verify",
  });
  // An error after the attempt (the server going away) must not crash the process.
  client.on("error", () => undefined);
  const end = () => void client.end().catch(() => undefined);
  signal.addEventListener("abort", end, { once: true });
  try {
    try {
      await client.connect();
    } catch (error) {
      throw new CheckFailure(networkReason(error, postgresPlace(databaseUrl), timeoutMs));
    }
    return await work(client);
  } finally {
    signal.removeEventListener("abort", end);
    end();
  }
}
