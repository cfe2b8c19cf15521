import type pg from "pg";
import { lastLines } from "./child-process.ts";

/** A session holding a lock the backup waited for, described without its query text (it may hold data). */
async function blockingSessions(client: pg.Client, table: string): Promise<string> {
  try {
    const { rows } = await client.query<{ pid: number; who: string }>(
      `SELECT a.pid, format('pid %s (user %s, application %s, %s since %s)', a.pid, a.usename,
                coalesce(nullif(a.application_name, ''), '-'), coalesce(a.state, '?'),
                to_char(coalesce(a.xact_start, a.backend_start) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"')) AS who
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.relation = to_regclass($1) AND l.granted AND l.mode = 'AccessExclusiveLock' AND a.pid <> pg_backend_pid()`,
      [table],
    );
    return rows.length > 0
      ? `held by session ${rows.map((row) => row.who).join(", ")}`
      : "its holder has finished since";
  } catch {
    return "its holder could not be looked up";
  }
}

/**
 * What went wrong with pg_dump, in the operator's terms: a table locked by another session past
 * the lock timeout (named, with the session holding it), or a table this role may not read;
 * otherwise pg_dump's own last lines.
 */
export async function explainDumpFailure(
  client: pg.Client,
  stderr: string,
  lockTimeoutSeconds: number,
): Promise<string> {
  const lockedTable = /Query was: LOCK TABLE (.+) IN ACCESS SHARE MODE/.exec(stderr)?.[1];
  if (lockedTable && /canceling statement due to (statement|lock) timeout/.test(stderr)) {
    return `table ${lockedTable} stayed locked by another session for more than ${lockTimeoutSeconds}s (${await blockingSessions(client, lockedTable)}); let that session finish or end it (SELECT pg_terminate_backend(pid)), or pass a longer --lock-timeout`;
  }
  const denied = /permission denied for (table|sequence|schema|relation|large object) ([^\n]+)/.exec(stderr);
  if (denied) {
    return `permission denied: the role in DATABASE_URL may not read ${denied[1]} ${denied[2]?.trim()}; grant it SELECT (USAGE for a schema) on everything in the database, or back up with the role that owns it`;
  }
  return `pg_dump failed: ${lastLines(stderr)}`;
}
