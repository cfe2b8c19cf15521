import type { DataStatement } from "./statement-policy.ts";

const IDENTIFIER = String.raw`(?:"(?:[^"]|"")*"|[A-Za-z0-9_$\u0080-\uffff]+)`;
const PG_DUMP_COPY = new RegExp(String.raw`^COPY (${IDENTIFIER})\.(${IDENTIFIER})[ (][^\n]*FROM stdin;\s*$`);

function unquote(identifier: string): string {
  return identifier.startsWith('"') ? identifier.slice(1, -1).replace(/""/g, '"') : identifier;
}

/**
 * The table of a `COPY schema.table (columns) FROM stdin;` exactly as pg_dump writes it, read
 * without the SQL parser: a backup reads its own pg_dump's output, only to count rows (the full
 * check is restore's and backup verify's). Undefined for any other statement.
 */
export function pgDumpCopyTarget(statement: string): DataStatement | undefined {
  const match = PG_DUMP_COPY.exec(statement.trimStart());
  if (!match?.[1] || !match[2]) return undefined;
  return { kind: "copy", table: `${unquote(match[1])}.${unquote(match[2])}` };
}
