import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { withClient } from "../support/database.ts";
import { tempDir } from "../support/temp-dir.ts";
import {
  DB_PASSWORD,
  databaseFingerprint,
  expectNoSecret,
  filesIn,
  lhCi,
  modeOf,
  NEWEST_MIGRATION,
  readJson,
  seededDatabase,
  takeBackup,
} from "./support.ts";

async function vandalise(url: string): Promise<void> {
  await withClient(url, async (client) => {
    await client.query(`
      UPDATE users SET email = 'changed-' || email WHERE id % 2 = 0;
      DELETE FROM matters WHERE id > 100;
      DROP TABLE audit.events;
      CREATE TABLE newcomer (id int);
      INSERT INTO newcomer VALUES (1);
      SELECT nextval('users_id_seq');`);
  });
}

describe("backup and restore round trip", async () => {
  const db = await seededDatabase("lh_backup_rt");
  const cwd = tempDir("lh-backup-rt-");
  const backupsDir = join(cwd, "backups", "staging");

  it("writes a private backup and sidecar that record checksum, counts and the newest migration, without secrets", async () => {
    const result = await lhCi(["backup"], cwd, db.secretUrl);
    expect(result.code).toBe(0);
    const path = join(cwd, result.stdout.trim().split("\n").at(-1) ?? "");
    expect(path).toMatch(/backups\/staging\/lawyers_hub_staging_\d{8}T\d{6}Z\.sql$/);
    expect(modeOf(path)).toBe(0o600);
    expect(modeOf(`${path}.json`)).toBe(0o600);
    const sidecar = readJson(`${path}.json`);
    expect(sidecar).toMatchObject({
      environment: "staging",
      database: db.name,
      compression: "none",
      newestMigration: NEWEST_MIGRATION,
      sizeBytes: readFileSync(path).length,
      tables: { "audit.events": 50, "public.matters": 500, "public.users": 200, "public._prisma_migrations": 2 },
    });
    // Read from the dump's header: the server's own server_version, exactly.
    const live = await withClient(db.secretUrl, (client) =>
      client.query<{ server_version: string }>("SHOW server_version"),
    );
    expect(sidecar.serverVersion).toBe(live.rows[0]?.server_version);
    expect(String(sidecar.serverVersion)).toMatch(/^15\./);
    expect(readFileSync(path, "utf8")).toContain("-- PostgreSQL database dump complete");
    expect(result.stderr).toMatch(
      /Backup written: .* \(\d+(\.\d)? KB, 4 tables, newest migration 20260102000000_add_matters\)/,
    );
    expectNoSecret(result.stdout, result.stderr, readFileSync(`${path}.json`, "utf8"), readFileSync(path, "utf8"));
    expect(filesIn(backupsDir).filter((name) => name.includes(".partial"))).toEqual([]);
  });

  for (const gzip of [false, true]) {
    it(`restores exactly the data of the backup (${gzip ? ".sql.gz" : ".sql"}) after updates, deletes and a dropped table`, async () => {
      const original = await databaseFingerprint(db.url);
      const backup = await takeBackup(cwd, db.secretUrl, gzip ? ["--gzip"] : []);
      expect(backup.endsWith(gzip ? ".sql.gz" : ".sql")).toBe(true);
      await vandalise(db.url);
      expect(await databaseFingerprint(db.url)).not.toEqual(original);

      const before = filesIn(backupsDir);
      const result = await lhCi(["restore", backup, "--yes", "--allow-superuser"], cwd, db.secretUrl);
      expect(result.stderr).not.toContain("error:");
      expect(result.code).toBe(0);
      expect(await databaseFingerprint(db.url)).toEqual(original);

      // The safety backup holds the vandalised state, named in the output, kept like any backup.
      const safety = filesIn(backupsDir).filter((name) => !before.includes(name));
      expect(safety).toHaveLength(2);
      const safetyName = safety.find((name) => name.endsWith(".sql")) ?? "";
      expect(result.stdout).toContain(`Safety backup: backups/staging/${safetyName}`);
      expect(readJson(join(backupsDir, `${safetyName}.json`)).tables).toMatchObject({ "public.newcomer": 1 });
      expect(result.stdout).toContain("public.users: 200 rows");
      expect(result.stdout).toContain(`Newest applied migration: ${NEWEST_MIGRATION}`);
      expectNoSecret(result.stdout, result.stderr);
    });
  }

  it("keeps the public schema's owner and grants across a restore", async () => {
    const acl = () =>
      withClient(db.url, async (client) => {
        const { rows } = await client.query(
          "SELECT nspowner::regrole::text AS owner, nspacl::text AS acl FROM pg_namespace WHERE nspname = 'public'",
        );
        return rows[0];
      });
    const before = await acl();
    const backup = await takeBackup(cwd, db.secretUrl);
    expect((await lhCi(["restore", backup, "--yes", "--allow-superuser"], cwd, db.secretUrl)).code).toBe(0);
    expect(await acl()).toEqual(before);
  });

  it("ends other sessions on the database before restoring", async () => {
    const backup = await takeBackup(cwd, db.secretUrl);
    const pg = await import("pg");
    const idle = new pg.default.Client({ connectionString: db.url });
    const ended = new Promise<Error>((resolve) => idle.on("error", resolve));
    await idle.connect();
    await idle.query("BEGIN; LOCK TABLE users IN ACCESS SHARE MODE");
    const result = await lhCi(["restore", backup, "--yes", "--allow-superuser"], cwd, db.secretUrl);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/Ended [1-9]\d* other session/);
    expect((await ended).message).toMatch(/terminat/);
    await idle.end().catch(() => undefined);
  });

  it("without --out, writes to $LH_BACKUP_DIR when set (the ops image's backups volume)", async () => {
    const volume = join(tempDir("lh-backup-volume-"), "backups");
    const result = await lhCi(["backup"], cwd, db.secretUrl, { LH_BACKUP_DIR: volume });
    expect(result.code).toBe(0);
    const written = result.stdout.trim().split("\n").at(-1) ?? "";
    expect(dirname(written)).toBe(volume);
    expect(filesIn(volume)).toEqual([
      expect.stringMatching(/^lawyers_hub_staging_\d{8}T\d{6}Z\.sql$/),
      expect.stringMatching(/\.sql\.json$/),
    ]);
    const pruned = await lhCi(["backup", "prune", "--dry-run"], cwd, db.secretUrl, { LH_BACKUP_DIR: volume });
    expect(pruned.code).toBe(0);
    expect(pruned.stdout + pruned.stderr).toContain(volume);
  });

  it("backup --stdout streams the dump and prints its sidecar JSON last on stderr", async () => {
    const result = await lhCi(["backup", "--stdout"], dirname(cwd), db.secretUrl);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("-- PostgreSQL database dump complete");
    const metadata = JSON.parse(result.stderr.trim().split("\n").at(-1) ?? "{}");
    const { createHash } = await import("node:crypto");
    expect(metadata.sha256).toBe(createHash("sha256").update(result.stdout).digest("hex"));
    expect(metadata.sizeBytes).toBe(Buffer.byteLength(result.stdout));
    expect(metadata.tables["public.users"]).toBe(200);
    expect(result.stdout + result.stderr).not.toContain(DB_PASSWORD);
  });
});
