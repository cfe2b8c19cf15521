import type pg from "pg";

export interface EndedSessions {
  ended: number;
  /** Sessions this role may not end (another role's, without pg_signal_backend). */
  refused: number;
}

/**
 * Ends every other client session on the current database, so the restore does not wait on their
 * locks; `spare` is the restore's own connection, already open.
 */
export async function endOtherSessions(client: pg.Client, spare?: number): Promise<EndedSessions> {
  const { rows } = await client.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity
     WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid IS DISTINCT FROM $1::int
       AND backend_type = 'client backend'`,
    [spare ?? null],
  );
  let ended = 0;
  let refused = 0;
  for (const { pid } of rows) {
    try {
      const result = await client.query<{ ok: boolean }>("SELECT pg_terminate_backend($1) AS ok", [pid]);
      if (result.rows[0]?.ok) ended += 1;
    } catch {
      refused += 1;
    }
  }
  return { ended, refused };
}
