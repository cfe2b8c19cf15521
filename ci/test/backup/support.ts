import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { createTestDatabase, withClient } from "../support/database.ts";
import { PRISMA_MIGRATIONS_DDL } from "../support/prisma-migrations.ts";
import { type CliResult, runCli } from "../support/run-cli.ts";
import { TEST_SIGNING_KEY } from "./forge.ts";

/** Ignored by the machine's trust auth, but carried in DATABASE_URL: it must never be printed or stored. */
export const DB_PASSWORD = "Sup3r-s3cret-pw-4-backups";

export function withPassword(url: string): string {
  const parsed = new URL(url);
  parsed.password = DB_PASSWORD;
  return parsed.toString();
}

export const NEWEST_MIGRATION = "20260102000000_add_matters";

/** A database shaped like the api's: an enum, sequences, foreign keys, a second schema, Prisma's history. */
export async function seededDatabase(prefix: string): Promise<{ name: string; url: string; secretUrl: string }> {
  const db = await createTestDatabase(prefix);
  await withClient(db.url, async (client) => {
    await client.query(PRISMA_MIGRATIONS_DDL);
    await client.query(`
      INSERT INTO _prisma_migrations (id, checksum, migration_name, finished_at, applied_steps_count) VALUES
        ('00000000-0000-0000-0000-000000000001', 'a', '20260101000000_init', now(), 1),
        ('00000000-0000-0000-0000-000000000002', 'b', '${NEWEST_MIGRATION}', now(), 1);
      CREATE TYPE role AS ENUM ('lawyer', 'client');
      CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE NOT NULL, role role NOT NULL, bio text);
      CREATE TABLE matters (id bigserial PRIMARY KEY, user_id int NOT NULL REFERENCES users(id), title text, opened date);
      INSERT INTO users (email, role, bio)
        SELECT 'user' || i || '@example.test', CASE WHEN i % 3 = 0 THEN 'lawyer' ELSE 'client' END::role,
               repeat('tab	and ''quote'' and \\ backslash ', i % 5)
        FROM generate_series(1, 200) i;
      INSERT INTO matters (user_id, title, opened)
        SELECT 1 + i % 200, 'Matter ' || i, DATE '2026-01-01' + i FROM generate_series(1, 500) i;
      CREATE SCHEMA audit;
      CREATE TABLE audit.events (id int PRIMARY KEY, what text);
      INSERT INTO audit.events SELECT i, 'event ' || i FROM generate_series(1, 50) i;
    `);
  });
  return { ...db, secretUrl: withPassword(db.url) };
}

/** md5 of every table's ordered contents (and of the list of tables and sequence positions). */
export async function databaseFingerprint(url: string): Promise<Record<string, string>> {
  return withClient(url, async (client) => {
    const tables = await client.query<{ schema: string; table: string }>(`
      SELECT table_schema AS schema, table_name AS table FROM information_schema.tables
      WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`);
    const fingerprint: Record<string, string> = {};
    for (const { schema, table } of tables.rows) {
      const name = `${client.escapeIdentifier(schema)}.${client.escapeIdentifier(table)}`;
      const result = await client.query<{ digest: string | null; n: string }>(
        `SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS digest, count(*) AS n FROM ${name} t`,
      );
      fingerprint[`${schema}.${table}`] = `${result.rows[0]?.n}:${result.rows[0]?.digest}`;
    }
    const sequences = await client.query<{ name: string; last: string | null }>(
      `SELECT schemaname || '.' || sequencename AS name, last_value::text AS last FROM pg_sequences ORDER BY 1`,
    );
    for (const row of sequences.rows) fingerprint[`sequence ${row.name}`] = String(row.last);
    return fingerprint;
  });
}

/** Runs lh-ci against a database, in a directory of its own, with the password in DATABASE_URL and the tests' signing key. */
export function lhCi(args: string[], cwd: string, databaseUrl: string, env: Record<string, string> = {}) {
  return runCli(args, { cwd, env: { DATABASE_URL: databaseUrl, BACKUP_SIGNING_KEY: TEST_SIGNING_KEY, ...env } });
}

export function expectNoSecret(...texts: string[]): void {
  for (const text of texts) expect(text).not.toContain(DB_PASSWORD);
}

/** Takes a backup through the CLI and returns its absolute path. */
export async function takeBackup(cwd: string, databaseUrl: string, args: string[] = []): Promise<string> {
  const result: CliResult = await lhCi(["backup", ...args], cwd, databaseUrl);
  expect(result.stderr).not.toContain("error:");
  expect(result.code).toBe(0);
  const last = result.stdout.trim().split("\n").at(-1) ?? "";
  return join(cwd, last);
}

export function filesIn(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

export function modeOf(path: string): number {
  return statSync(path).mode & 0o777;
}

export function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, "utf8"));
}

/** Moves the database on after a backup, so that a restore that went through (or not) would show. */
export async function moveOn(url: string): Promise<void> {
  await withClient(url, (client) =>
    client.query(
      "DELETE FROM matters WHERE id > 10; UPDATE users SET bio = 'moved on'; CREATE TABLE IF NOT EXISTS later (id int); INSERT INTO later VALUES (1); SELECT nextval('users_id_seq')",
    ),
  );
}
