import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll } from "vitest";
import { TEST_POSTGRES } from "./service-addresses.ts";

/** The shared PostgreSQL 15 (trust auth): the machine's, or TEST_POSTGRES_URL (service-addresses.ts). */
export const ADMIN_URL = TEST_POSTGRES.url;

export function databaseUrl(name: string, base = ADMIN_URL): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function adminQuery(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

export async function dropDatabase(name: string): Promise<void> {
  await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

/**
 * Databases this test file created. One afterAll, registered when the test file imports this
 * module, drops them all: an afterAll registered later, from inside a hook or a test, would be
 * ignored and the database leaked.
 */
const created: string[] = [];
afterAll(() => Promise.all(created.splice(0).map(dropDatabase)));

/**
 * A fresh database of its own for one test file, dropped afterwards, so test files can run in
 * parallel against the one server. Returns its name and URL.
 */
export async function createTestDatabase(prefix = "lh_test"): Promise<{ name: string; url: string }> {
  const name = `${prefix}_${randomBytes(4).toString("hex")}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  created.push(name);
  return { name, url: databaseUrl(name) };
}

/** Runs a function with a connected client on a database, closing it afterwards. */
export async function withClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** Whether a server process still serves a session (waits a moment: a closed connection's process exits just after). */
export async function sessionAlive(url: string, pid: number): Promise<boolean> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const { rows } = await withClient(url, (client) =>
      client.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1", [pid]),
    );
    if (rows[0]?.n === 0) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}
