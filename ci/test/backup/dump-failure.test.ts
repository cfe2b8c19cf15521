import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { databaseUrl } from "../support/database.ts";
import { freePort } from "../support/redis-server.ts";
import { tempDir } from "../support/temp-dir.ts";
import {
  DB_PASSWORD,
  databaseFingerprint,
  expectNoSecret,
  filesIn,
  lhCi,
  seededDatabase,
  takeBackup,
  withPassword,
} from "./support.ts";

describe("a dump that fails leaves no backup file behind", async () => {
  const db = await seededDatabase("lh_backup_fail");
  const cwd = tempDir("lh-backup-fail-");
  const backupsDir = join(cwd, "backups", "staging");

  it("unreachable server: exit 1, no file, no password in the message", async () => {
    const url = `postgresql://lawyers_hub:${DB_PASSWORD}@127.0.0.1:${await freePort()}/lawyers_hub_staging`;
    const result = await lhCi(["backup"], cwd, url);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /cannot connect to the database 127\.0\.0\.1:\d+\/lawyers_hub_staging: .*ECONNREFUSED.*check DATABASE_URL/,
    );
    expect(result.stderr).toContain("No backup was written");
    expect(filesIn(backupsDir)).toEqual([]);
    expectNoSecret(result.stdout, result.stderr);
  });

  it("refused credentials (a role that does not exist): exit 1, no file", async () => {
    const url = new URL(withPassword(db.url));
    url.username = "no_such_role_for_backup";
    const result = await lhCi(["backup"], cwd, url.toString());
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/role "no_such_role_for_backup" does not exist/);
    expect(filesIn(backupsDir)).toEqual([]);
    expectNoSecret(result.stdout, result.stderr);
  });

  it("a database that does not exist: exit 1, no file", async () => {
    const result = await lhCi(["backup"], cwd, withPassword(databaseUrl("lh_no_such_database_at_all")));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/database "lh_no_such_database_at_all" does not exist/);
    expect(filesIn(backupsDir)).toEqual([]);
  });

  it("pg_dump dying mid-stream (simulated by a pg_dump that writes half a dump and fails): no file, not even a partial one", async () => {
    // A stand-in for the binary only: the database is real (lh-ci connects to it to explain the failure).
    const bin = join(cwd, "fake-bin");
    mkdirSync(bin, { recursive: true });
    const fake = join(bin, "pg_dump");
    writeFileSync(
      fake,
      `#!/bin/sh\nprintf -- '--\\n-- PostgreSQL database dump\\n--\\n\\nCOPY public.users (id) FROM stdin;\\n1\\n'\necho 'pg_dump: error: Dumping the contents of table "users" failed: connection lost' >&2\nexit 1\n`,
    );
    chmodSync(fake, 0o755);
    const result = await lhCi(["backup"], cwd, db.secretUrl, { PATH: `${bin}:${process.env.PATH}` });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('pg_dump failed: pg_dump: error: Dumping the contents of table "users" failed');
    expect(filesIn(backupsDir)).toEqual([]);
  });

  it("a restore whose safety backup fails changes nothing and exits (the psql it had started meanwhile is stopped)", async () => {
    const restoreCwd = tempDir("lh-restore-fail-"); // its backups stay out of this suite's backupsDir
    const backup = await takeBackup(restoreCwd, db.secretUrl);
    const bin = join(restoreCwd, "fake-bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "pg_dump"), `#!/bin/sh\necho 'pg_dump: error: connection lost' >&2\nexit 1\n`);
    chmodSync(join(bin, "pg_dump"), 0o755);
    const before = await databaseFingerprint(db.url);
    const result = await lhCi(["restore", backup, "--yes", "--allow-superuser"], restoreCwd, db.secretUrl, {
      PATH: `${bin}:${process.env.PATH}`,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("pg_dump failed: pg_dump: error: connection lost");
    expect(await databaseFingerprint(db.url)).toEqual(before);
  });

  it("pg_dump exiting 0 without its completion marker is not a backup either", async () => {
    const bin = join(cwd, "fake-bin-2");
    mkdirSync(bin, { recursive: true });
    const fake = join(bin, "pg_dump");
    writeFileSync(fake, `#!/bin/sh\nprintf -- '--\\n-- PostgreSQL database dump\\n--\\n\\nSELECT 1;\\n'\n`);
    chmodSync(fake, 0o755);
    const result = await lhCi(["backup"], cwd, db.secretUrl, { PATH: `${bin}:${process.env.PATH}` });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("completion marker is missing");
    expect(filesIn(backupsDir)).toEqual([]);
  });

  it("--out and --stdout together is a usage error", async () => {
    const result = await lhCi(["backup", "--stdout", "--out", "x"], cwd, db.secretUrl);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--out and --stdout exclude each other");
  });
});
