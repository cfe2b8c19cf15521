import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  databaseFingerprint,
  expectNoSecret,
  filesIn,
  lhCi,
  moveOn,
  seededDatabase,
  takeBackup,
} from "../backup/support.ts";
import { adminQuery, withClient } from "../support/database.ts";
import { tempDir } from "../support/temp-dir.ts";
import { appRoleName, runRoleStep, urlAs } from "./support.ts";

const APP_PASSWORD = "restore-app-pa55word-canary";

describe("restore runs as the application role, and refuses a superuser unless --allow-superuser", async () => {
  // A database of the shape the api's migrations make, created by the superuser, then given to the
  // application role by the deploy's role step: the stack after its first deploy with the role.
  const db = await seededDatabase("lh_role_restore");
  const role = appRoleName();
  await runRoleStep(db.name, { name: role, password: APP_PASSWORD });
  const appUrl = urlAs(role, APP_PASSWORD, db.name);
  const cwd = tempDir("lh-role-restore-");
  const backupsDir = join(cwd, "backups", "staging");

  it("backs up and restores as the application role, which keeps owning what the restore creates", async () => {
    const backup = await takeBackup(cwd, appUrl);
    const expected = await databaseFingerprint(db.url);
    await moveOn(appUrl);
    const result = await lhCi(["restore", backup, "--yes"], cwd, appUrl);
    expect(result.stderr).not.toContain("SUPERUSER");
    expect(result.code).toBe(0);
    expect(await databaseFingerprint(db.url)).toEqual(expected);
    const { rows } = await adminQuery(
      `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'S') AND pg_get_userbyid(c.relowner) <> $1`,
      [role],
    );
    expect(rows[0]?.n).toBe(0);
    expectNoSecret(result.stdout, result.stderr);
    expect(result.stdout + result.stderr).not.toContain(APP_PASSWORD);
  });

  it("restore-tests a backup as the application role (NOCREATEDB): in the prepared database, left empty", async () => {
    const backup = await takeBackup(cwd, appUrl);
    const result = await lhCi(["backup", "verify", backup, "--restore-test"], cwd, appUrl);
    expect(result.stderr).not.toContain("error:");
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).toContain(`${db.name}_restore_test`);
    const left = await withClient(urlAs(role, APP_PASSWORD, `${db.name}_restore_test`), (client) =>
      client.query(
        "SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'",
      ),
    );
    expect(left.rows[0]?.n).toBe(0);
    expectNoSecret(result.stdout, result.stderr);
  });

  it("refuses a superuser before anything changes, naming --allow-superuser; with it, restores and says so loudly", async () => {
    const backup = await takeBackup(cwd, appUrl);
    await moveOn(appUrl);
    const moved = await databaseFingerprint(db.url);
    const before = filesIn(backupsDir);

    const refused = await lhCi(["restore", backup, "--yes"], cwd, db.secretUrl);
    expect(refused.stderr).toContain("DATABASE_URL connects as postgres, a SUPERUSER");
    expect(refused.stderr).toContain(
      "Nothing was changed. To restore as this superuser anyway, pass --allow-superuser",
    );
    expect(refused.code).toBe(1);
    expect(await databaseFingerprint(db.url)).toEqual(moved);
    expect(filesIn(backupsDir)).toEqual(before); // not even a safety backup
    expectNoSecret(refused.stdout, refused.stderr);

    const allowed = await lhCi(["restore", backup, "--yes", "--allow-superuser"], cwd, db.secretUrl);
    expect(allowed.code).toBe(0);
    expect(allowed.stderr).toContain("WARNING: --allow-superuser: restoring as postgres, a SUPERUSER");
    expect(await databaseFingerprint(db.url)).not.toEqual(moved);
    expectNoSecret(allowed.stdout, allowed.stderr);
  });
});
