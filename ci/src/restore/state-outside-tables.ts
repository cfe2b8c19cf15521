import type pg from "pg";

/**
 * What a failed restore could change without a transaction rolling it back, and a table's row
 * count would not show: sequence positions (nextval and setval are never rolled back) and role
 * and database settings (ALTER ROLE ... SET), read before the load and again after a failure.
 */
export interface StateOutsideTables {
  /** `schema.sequence` -> its position (`last_value`, or `not called`), or undefined when this role cannot read it. */
  sequences: Map<string, string | undefined>;
  /** Every row of pg_db_role_setting, as text. */
  roleSettings: string[];
}

export async function stateOutsideTables(client: pg.Client): Promise<StateOutsideTables> {
  const sequences = await client.query<{ name: string; position: string | null; readable: boolean }>(
    `SELECT format('%s.%s', schemaname, sequencename) AS name, coalesce(last_value::text, 'not called') AS position,
            has_sequence_privilege(format('%I.%I', schemaname, sequencename), 'SELECT') AS readable
     FROM pg_sequences ORDER BY 1`,
  );
  const settings = await client.query<{ row: string }>(
    "SELECT format('%s/%s: %s', setdatabase, setrole, setconfig) AS row FROM pg_db_role_setting ORDER BY 1",
  );
  return {
    sequences: new Map(sequences.rows.map((row) => [row.name, row.readable ? (row.position ?? undefined) : undefined])),
    roleSettings: settings.rows.map((row) => row.row),
  };
}

/** What differs; also what cannot be proven the same (a sequence this role cannot read). */
export function differencesOutsideTables(before: StateOutsideTables, after: StateOutsideTables): string[] {
  const differences: string[] = [];
  for (const name of new Set([...before.sequences.keys(), ...after.sequences.keys()])) {
    const was = before.sequences.get(name);
    const is = after.sequences.get(name);
    if (!before.sequences.has(name)) differences.push(`sequence ${name} appeared`);
    else if (!after.sequences.has(name)) differences.push(`sequence ${name} is gone`);
    else if (was === undefined || is === undefined)
      differences.push(`sequence ${name} cannot be read by this role, so its position is unproven`);
    else if (was !== is) differences.push(`sequence ${name} moved from ${was} to ${is}`);
  }
  const settingsBefore = new Set(before.roleSettings);
  const settingsAfter = new Set(after.roleSettings);
  for (const row of settingsAfter)
    if (!settingsBefore.has(row)) differences.push(`a role or database setting appeared or changed: ${row}`);
  for (const row of settingsBefore)
    if (!settingsAfter.has(row)) differences.push(`a role or database setting was removed or changed: ${row}`);
  return differences;
}
