import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pgTarget } from "../../src/backup/connection.ts";
import type { BackupMetadata } from "../../src/backup/sidecar.ts";
import { loadBackup } from "../../src/restore/load-backup.ts";
import { ServerLoad } from "../../src/restore/server-load.ts";
import { sessionAlive, withClient } from "../support/database.ts";
import { tempDir } from "../support/temp-dir.ts";
import { pgDumpFraming, writeForgedBackup } from "./forge.ts";
import { databaseFingerprint, lhCi, moveOn, readJson, seededDatabase, takeBackup } from "./support.ts";

describe("the restore loads alongside its safety backup, and commits only once that backup is on disk", async () => {
  it("the safety backup holds the database as it was before the restore, not what the load wrote meanwhile", async () => {
    const db = await seededDatabase("lh_alongside_safety");
    const cwd = tempDir("lh-alongside-safety-");
    const backup = await takeBackup(cwd, db.secretUrl);
    const backupState = await databaseFingerprint(db.url);
    await moveOn(db.url);
    const before = await databaseFingerprint(db.url);

    const restored = await lhCi(["restore", backup, "--yes", "--allow-superuser", "--json"], cwd, db.secretUrl);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stderr).toContain("and, alongside, restoring");
    expect(await databaseFingerprint(db.url)).toEqual(backupState);
    const safety = (JSON.parse(restored.stdout.trim().split("\n").at(-1) ?? "{}") as { safetyBackup: string })
      .safetyBackup;

    const back = await lhCi(["restore", safety, "--yes", "--allow-superuser"], cwd, db.secretUrl);
    expect(back.code, back.stderr).toBe(0);
    expect(await databaseFingerprint(db.url)).toEqual(before);
  });

  it("a safety backup that fails while the load runs rolls the load back", async () => {
    const db = await seededDatabase("lh_alongside_fail");
    const cwd = tempDir("lh-alongside-fail-");
    const backup = await takeBackup(cwd, db.secretUrl);
    await moveOn(db.url);
    const before = await databaseFingerprint(db.url);
    const notADirectory = join(cwd, "a-file");
    writeFileSync(notADirectory, "");

    // The safety backup cannot create its folder under a file: it fails while the load goes on.
    const result = await lhCi(
      ["restore", backup, "--yes", "--allow-superuser", "--backup-dir", join(notADirectory, "safety")],
      cwd,
      db.secretUrl,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /the safety backup failed, so the restore was rolled back and nothing was changed: .*ENOTDIR/,
    );
    expect(await databaseFingerprint(db.url)).toEqual(before);
  });

  it("loadBackup does not commit when the work alongside fails after the load proved good", async () => {
    const db = await seededDatabase("lh_alongside_late");
    const cwd = tempDir("lh-alongside-late-");
    const backup = await takeBackup(cwd, db.secretUrl);
    const metadata = readJson(`${backup}.json`) as unknown as BackupMetadata;
    await moveOn(db.url);
    const before = await databaseFingerprint(db.url);
    const session = await ServerLoad.connect(pgTarget(db.url), "lh-ci restore test");
    const safetyBackup = new Promise<void>((_resolve, reject) =>
      setTimeout(() => reject(new Error("the safety backup's disk is full (test)")), 1_000),
    );

    const failure = await loadBackup(pgTarget(db.url), backup, metadata, {
      session,
      alongside: safetyBackup,
    }).catch((error: Error) => error);
    expect((failure as Error).message).toBe("the safety backup's disk is full (test)");
    expect(await sessionAlive(db.url, session.pid)).toBe(false); // its connection is closed: nothing is left holding locks
    expect(await databaseFingerprint(db.url)).toEqual(before);
  });

  it("a database with an extension keeps the old order: the safety backup first, then the load", async () => {
    const db = await seededDatabase("lh_alongside_extension");
    const cwd = tempDir("lh-alongside-extension-");
    await withClient(db.url, (client) =>
      client.query(
        "CREATE EXTENSION citext; CREATE TABLE handles (name citext PRIMARY KEY); INSERT INTO handles VALUES ('Ada'), ('Grace')",
      ),
    );
    const backup = await takeBackup(cwd, db.secretUrl);
    const backupState = await databaseFingerprint(db.url);
    await moveOn(db.url);

    const result = await lhCi(["restore", backup, "--yes", "--allow-superuser"], cwd, db.secretUrl);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("database first (it holds extensions or large objects");
    expect(await databaseFingerprint(db.url)).toEqual(backupState);
    const found = await withClient(db.url, (client) =>
      client.query("SELECT count(*)::int AS n FROM handles WHERE name = 'ADA'"),
    );
    expect(found.rows[0]?.n).toBe(1); // citext compares without case: the extension came back with the table
  });

  for (const [path, extension] of [
    ["alongside its safety backup", ""],
    ["after its safety backup (an extension)", "CREATE EXTENSION citext;"],
  ] as const) {
    it(`an event trigger of the database does not run on the restore's own DDL (${path})`, async () => {
      const db = await seededDatabase("lh_alongside_event_trigger");
      const cwd = tempDir("lh-alongside-event-trigger-");
      if (extension) await withClient(db.url, (client) => client.query(extension));
      const backup = await takeBackup(cwd, db.secretUrl);
      const backupState = await databaseFingerprint(db.url);
      await withClient(db.url, (client) =>
        client.query(`
          CREATE FUNCTION public.refuse_ddl() RETURNS event_trigger LANGUAGE plpgsql AS
            $$ BEGIN RAISE EXCEPTION 'the event trigger ran on %', tg_tag; END $$;
          CREATE EVENT TRIGGER refuse_ddl ON ddl_command_start EXECUTE FUNCTION public.refuse_ddl();
          CREATE EVENT TRIGGER refuse_drop ON sql_drop EXECUTE FUNCTION public.refuse_ddl();`),
      );

      const result = await lhCi(["restore", backup, "--yes", "--allow-superuser"], cwd, db.secretUrl);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).not.toContain("the event trigger ran");
      expect(await databaseFingerprint(db.url)).toEqual(backupState);
      const triggers = await withClient(db.url, (client) => client.query("SELECT evtname FROM pg_event_trigger"));
      expect(triggers.rows).toEqual([]);
    });
  }

  it("a dump whose objects depend on the objects it replaces (an OID written into it) is refused and nothing changes", async () => {
    const db = await seededDatabase("lh_alongside_depends");
    const cwd = tempDir("lh-alongside-depends-");
    const oid = await withClient(db.url, async (client) =>
      String((await client.query("SELECT 'public.users_id_seq'::regclass::oid AS oid")).rows[0]?.oid),
    );
    const before = await databaseFingerprint(db.url);
    const path = join(cwd, "depends-on-old.sql");
    // Set aside, the old sequence is dropped just before COMMIT, and CASCADE would take this default with it.
    writeForgedBackup(
      path,
      pgDumpFraming(`CREATE TABLE public.counters (id integer DEFAULT nextval('${oid}'::regclass));\n\n`),
      {},
      { database: db.name },
    );

    const result = await lhCi(["restore", path, "--yes", "--allow-superuser"], cwd, db.secretUrl);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /1 object\(s\) of the backup depend on the objects it replaces and would have been dropped with them/,
    );
    expect(result.stderr).toMatch(/rolled back, so the database is exactly as it was before/);
    expect(await databaseFingerprint(db.url)).toEqual(before);
  });
});
