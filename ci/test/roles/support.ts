import { randomBytes } from "node:crypto";
import { afterAll } from "vitest";
import {
  APP_ROLE_PSQL_OPTIONS,
  appRoleScript,
  describeAppRoleOutcome,
  readAppRoleOutcome,
} from "../../src/roles/app-role-sql.ts";
import { adminQuery, databaseUrl, dropDatabase } from "../support/database.ts";
import { runProcess } from "../support/run-process.ts";
import { TEST_POSTGRES } from "../support/service-addresses.ts";

/**
 * Roles this test file created: dropped after the databases they own (given by the role step, or
 * made here), as a role cannot go while it owns one.
 */
const roles: string[] = [];
const databases: string[] = [];
afterAll(async () => {
  await Promise.all(databases.splice(0).map(dropDatabase));
  for (const role of roles.splice(0)) {
    const owned = await adminQuery(
      "SELECT datname FROM pg_database WHERE datdba = (SELECT oid FROM pg_roles WHERE rolname = $1)",
      [role],
    );
    await Promise.all(owned.rows.map((row: { datname: string }) => dropDatabase(row.datname)));
    await adminQuery(`DROP ROLE IF EXISTS "${role}"`);
  }
});

export function appRoleName(): string {
  const name = `lh_app_${randomBytes(4).toString("hex")}`;
  roles.push(name);
  return name;
}

/** A database of the test server owned by its superuser (as the postgres image creates POSTGRES_DB). */
export async function superuserDatabase(prefix: string): Promise<{ name: string; url: string }> {
  const name = `${prefix}_${randomBytes(4).toString("hex")}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  databases.push(name);
  return { name, url: databaseUrl(name) };
}

/** The deploy's role step as the stack runs it: the script on psql's stdin, as the superuser. */
export async function runRoleStep(database: string, role: { name: string; password: string }): Promise<string> {
  const url = new URL(TEST_POSTGRES.url);
  const result = await runProcess(
    "psql",
    [
      ...APP_ROLE_PSQL_OPTIONS,
      "--host",
      url.hostname,
      "--port",
      url.port || "5432",
      "--username",
      decodeURIComponent(url.username),
      "--dbname",
      database,
    ],
    { input: appRoleScript(role, database), env: { PATH: process.env.PATH ?? "" } },
  );
  if (result.code !== 0) throw new Error(`psql exited with ${result.code}: ${result.stderr}`);
  return describeAppRoleOutcome(role.name, database, readAppRoleOutcome(result.stdout));
}

/** DATABASE_URL of `database` as the role (the test server trusts local connections: any password). */
export function urlAs(role: string, password: string, database: string): string {
  const url = new URL(databaseUrl(database));
  url.username = role;
  url.password = password;
  return url.toString();
}
