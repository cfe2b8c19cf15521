import { beforeAll, describe, expect, it } from "vitest";
import { decodeCopyText, NewestMigrationInDump } from "../../src/backup/migrations-in-dump.ts";
import { DumpScanner } from "../../src/dump/dump-scanner.ts";
import { loadStatementParser } from "../../src/dump/statement-policy.ts";
import { pgDumpFraming } from "./forge.ts";

const COLUMNS = "id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count";

function migrationsTable(schema: string, rows: string[]): string {
  return `CREATE TABLE ${schema}._prisma_migrations (id character varying(36) NOT NULL, checksum character varying(64) NOT NULL, finished_at timestamp with time zone, migration_name character varying(255) NOT NULL, logs text, rolled_back_at timestamp with time zone, started_at timestamp with time zone DEFAULT now() NOT NULL, applied_steps_count integer DEFAULT 0 NOT NULL);

COPY ${schema}._prisma_migrations (${COLUMNS}) FROM stdin;
${rows.map((row) => `${row}\n`).join("")}\\.

`;
}

/** A row: finished or not, rolled back or not. */
function row(name: string, finished = true, rolledBack = false, logs = "\\N"): string {
  return [
    "0b0e4f3c-0000-4000-8000-000000000000",
    "c".repeat(64),
    finished ? "2026-01-01 00:00:00+00" : "\\N",
    name,
    logs,
    rolledBack ? "2026-01-02 00:00:00+00" : "\\N",
    "2026-01-01 00:00:00+00",
    "1",
  ].join("\t");
}

/** The newest migration as backup reads it: the dump scanned in chunks of `size`. */
function newestIn(body: string, size: number): string | null {
  const dump = Buffer.from(pgDumpFraming(body));
  const scanner = new DumpScanner();
  const migrations = new NewestMigrationInDump();
  for (let at = 0; at < dump.length; at += size) scanner.observe(dump.subarray(at, at + size), migrations.look);
  scanner.finish();
  return migrations.newest();
}

describe("the newest migration, read from the dump's own _prisma_migrations data", () => {
  beforeAll(() => loadStatementParser());

  it("is the greatest finished, not rolled back name, whatever the chunk boundaries", () => {
    const body = migrationsTable("public", [
      row("20260101000000_init"),
      row("20260301000000_failed", false), // never finished
      row("20260401000000_rolled_back", true, true),
      row("20260201000000_add_matters", true, false, "a log\\nwith\\ttabs and a \\\\ backslash"),
    ]);
    for (const size of [1, 2, 7, 64, 4096, 1_000_000]) {
      expect(newestIn(body, size), `chunks of ${size}`).toBe("20260201000000_add_matters");
    }
  });

  it("prefers public's table, else the first schema by name; null without the table or a finished row", () => {
    const other = "CREATE SCHEMA zeta;\nCREATE SCHEMA alpha;\n";
    expect(
      newestIn(
        other +
          migrationsTable("zeta", [row("20990101000000_zeta")]) +
          migrationsTable("public", [row("20260101000000_public")]),
        100,
      ),
    ).toBe("20260101000000_public");
    expect(
      newestIn(
        other +
          migrationsTable("zeta", [row("20990101000000_zeta")]) +
          migrationsTable("alpha", [row("20260101000000_alpha")]),
        100,
      ),
    ).toBe("20260101000000_alpha");
    expect(newestIn("CREATE TABLE public.a (t text);\n", 100)).toBeNull();
    expect(newestIn(migrationsTable("public", [row("20260101000000_init", false)]), 100)).toBeNull();
  });

  it("is not fooled by another table's data that looks like a COPY of _prisma_migrations", () => {
    const forged = `COPY public._prisma_migrations (${COLUMNS}) FROM stdin;\n${row("29991231000000_forged")}`;
    const body = `CREATE TABLE public.notes (t text);

COPY public.notes (t) FROM stdin;
${forged.replace(/\t/g, "\\t")}
${forged.split("\n")[0]}
\\.

${migrationsTable("public", [row("20260101000000_init")])}`;
    expect(newestIn(body, 13)).toBe("20260101000000_init");
  });

  it("decodes COPY's text escapes", () => {
    expect(decodeCopyText("a\\tb\\nc\\\\d\\101\\x42\\q")).toBe("a\tb\nc\\dABq");
  });
});
