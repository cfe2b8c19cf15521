import pg from "pg";
import { CheckFailure } from "./check.ts";
import { networkReason } from "./reasons.ts";

/** Host and port of a PostgreSQL URL, for messages (never the password). */
export function postgresPlace(databaseUrl: string): { host: string; port: string } {
  const url = new URL(databaseUrl);
  return { host: url.hostname, port: url.port || "5432" };
}

/** SQLSTATEs of a server that answered and said no: waiting will not change its mind. */
const REFUSALS: Record<string, string> = {
  "28P01": "authentication refused (wrong password)",
  "28000": "authentication refused (role or pg_hba.conf)",
  "3D000": "the database does not exist",
};

/** A refusal no retry can fix, in words naming what to check; undefined for anything else. */
function serverRefusal(error: unknown): string | undefined {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  const what = code
    ? REFUSALS[code]
    : /client password must be a string/i.test(message ?? "")
      ? "the server asks for a password and DATABASE_URL has none"
      : undefined;
  return what ? `PostgreSQL refused the connection: ${what}; check DATABASE_URL` : undefined;
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
      const refusal = serverRefusal(error);
      if (refusal) throw new CheckFailure(refusal, { final: true });
      throw new CheckFailure(networkReason(error, postgresPlace(databaseUrl), timeoutMs));
    }
    return await work(client);
  } finally {
    signal.removeEventListener("abort", end);
    end();
  }
}
