import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { adminQuery } from "../support/database.ts";
import { runCli } from "../support/run-cli.ts";
import { TEST_POSTGRES } from "../support/service-addresses.ts";
import { tempDir } from "../support/temp-dir.ts";
import { appRoleName, superuserDatabase, urlAs } from "./support.ts";

const APP_PASSWORD = "database-role-app-pa55word-canary";
const SUPERUSER_PASSWORD = "database-role-superuser-pa55word-canary";
const scratch = tempDir("lh-database-role-");
const superuser = decodeURIComponent(new URL(TEST_POSTGRES.url).username);

/** `lh-ci database role` as the compose one-shot runs it: the superuser's password in a file. */
async function databaseRole(url: string, env: Record<string, string> = {}) {
  const passwordFile = join(scratch, "postgres_password");
  writeFileSync(passwordFile, `${SUPERUSER_PASSWORD}\n`, { mode: 0o400 });
  return await runCli(["database", "role"], {
    cwd: scratch,
    env: { DATABASE_URL: url, POSTGRES_USER: superuser, POSTGRES_PASSWORD_FILE: passwordFile, ...env },
  });
}

describe("lh-ci database role (the compose one-shot before migrate)", () => {
  it("creates the application role over TCP, gives it the database, and a second run has nothing to do", async () => {
    const db = await superuserDatabase("lh_role_cmd");
    const role = appRoleName();
    const url = urlAs(role, APP_PASSWORD, db.name);

    const first = await databaseRole(url);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.trim()).toBe(
      `created role ${role} (LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE), ownership of 2 objects moved to ${role}, created database ${db.name}_restore_test for its restore tests`,
    );
    expect(first.stderr).toContain(`Giving database ${db.name} on`);
    const owner = await adminQuery(
      "SELECT pg_get_userbyid(datdba) AS owner, (SELECT rolsuper FROM pg_roles WHERE rolname = $2) AS super FROM pg_database WHERE datname = $1",
      [db.name, role],
    );
    expect(owner.rows).toEqual([{ owner: role, super: false }]);

    const second = await databaseRole(url);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout.trim()).toBe(`nothing to do: ${role} exists, owns the database and its objects`);
    for (const output of [first.stdout, first.stderr, second.stdout, second.stderr]) {
      expect(output).not.toContain(APP_PASSWORD);
      expect(output).not.toContain(SUPERUSER_PASSWORD);
    }
  });

  it("refuses to run without the superuser's password, naming both ways to give it", async () => {
    const db = await superuserDatabase("lh_role_cmd_nopw");
    const result = await runCli(["database", "role"], {
      cwd: scratch,
      env: { DATABASE_URL: urlAs(appRoleName(), APP_PASSWORD, db.name), POSTGRES_USER: superuser },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("POSTGRES_PASSWORD_FILE or POSTGRES_PASSWORD");
  });

  it("fails, saying so, when DATABASE_URL's user is the superuser itself", async () => {
    const db = await superuserDatabase("lh_role_cmd_self");
    const result = await databaseRole(urlAs(superuser, "x", db.name));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`is the superuser this step connects as`);
  });
});
