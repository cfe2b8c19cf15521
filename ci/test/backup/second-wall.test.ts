import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgTarget } from "../../src/backup/connection.ts";
import type { BackupMetadata } from "../../src/backup/sidecar.ts";
import { signMetadata } from "../../src/backup/signature.ts";
import { loadBackup } from "../../src/restore/load-backup.ts";
import { adminQuery, databaseUrl, dropDatabase, withClient } from "../support/database.ts";
import { tempDir } from "../support/temp-dir.ts";
import { pgDumpFraming, writeForgedBackup } from "./forge.ts";
import { databaseFingerprint, lhCi, seededDatabase } from "./support.ts";

/**
 * The second wall alone: hostile dumps signed with the real key (as if it leaked), restored by a
 * role that owns the database and is not a superuser. What was checked must be exactly what runs.
 */
const LEAKED_KEY = "a-signing-key-that-leaked-0123456789";

/** Roles are cluster-wide: each goes once its database is dropped. */
const roles: Array<{ role: string; database: string }> = [];
afterAll(async () => {
  for (const { role, database } of roles.splice(0)) {
    await dropDatabase(database);
    await adminQuery(`DROP ROLE IF EXISTS ${role}`);
  }
});

async function nonSuperuserDatabase(prefix: string): Promise<{ name: string; url: string; role: string }> {
  const db = await seededDatabase(prefix);
  const role = `lh_owner_${randomBytes(4).toString("hex")}`;
  await adminQuery(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEROLE`);
  await adminQuery(`ALTER DATABASE ${db.name} OWNER TO ${role}`);
  await withClient(db.url, (client) =>
    client.query(`DO $$
      DECLARE item record;
      BEGIN
        FOR item IN SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' LOOP
          EXECUTE format('ALTER SCHEMA %I OWNER TO ${role}', item.nspname);
        END LOOP;
        FOR item IN SELECT c.oid::regclass AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' LOOP
          EXECUTE format('ALTER TABLE %s OWNER TO ${role}', item.name);
        END LOOP;
        FOR item IN SELECT t.oid::regtype AS name FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
          WHERE t.typtype = 'e' AND n.nspname NOT LIKE 'pg\\_%' LOOP
          EXECUTE format('ALTER TYPE %s OWNER TO ${role}', item.name);
        END LOOP;
      END $$`),
  );
  roles.push({ role, database: db.name });
  const url = new URL(db.url);
  url.username = role;
  return { name: db.name, url: url.toString(), role };
}

/** A forged dump whose sidecar carries a valid signature made with the leaked key. */
function signedForgery(path: string, body: string, tables: Record<string, number>, database: string): string {
  writeForgedBackup(path, pgDumpFraming(body), tables, { database });
  const metadata = JSON.parse(readFileSync(`${path}.json`, "utf8")) as BackupMetadata;
  writeFileSync(`${path}.json`, JSON.stringify({ ...metadata, signature: signMetadata(metadata, LEAKED_KEY) }));
  return path;
}

async function roleSettings(role: string): Promise<string[]> {
  const { rows } = await adminQuery(
    "SELECT array_to_string(setconfig, ',') AS s FROM pg_db_role_setting WHERE setrole = $1::regrole",
    [role],
  );
  return rows.map((row) => String(row.s));
}

describe("the second wall: a leaked key's hostile dumps, restored as a non-superuser", async () => {
  const db = await nonSuperuserDatabase("lh_second_wall");
  const cwd = tempDir("lh-second-wall-");
  const marker = join(cwd, "pwned");
  let before: Record<string, string> = {};
  const env = { BACKUP_SIGNING_KEY: LEAKED_KEY };

  beforeAll(async () => {
    before = await databaseFingerprint(db.url);
  });

  async function restoreRefused(path: string, message: RegExp): Promise<string> {
    const result = await lhCi(["restore", path, "--yes", "--allow-superuser"], cwd, db.url, env);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/rolled back, so the database is exactly as it was before \(checked: /);
    expect(result.code).toBe(1);
    expect(await databaseFingerprint(db.url)).toEqual(before);
    expect(existsSync(marker)).toBe(false);
    const { rows } = await withClient(db.url, (client) =>
      client.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'lh_ci_replaced%'"),
    );
    expect(rows).toEqual([]);
    return result.stderr;
  }

  it("a NUL byte that would make psql join lines is refused before anything runs (and so is the COMMIT behind it)", async () => {
    const body = `CREATE TABLE public.a (x integer)\0 $x$\n; COPY (SELECT 1) TO PROGRAM 'touch ${marker}';\nCOMMIT;\n-- $x$;\n`;
    const path = signedForgery(join(cwd, "nul.sql"), body, {}, db.name);
    const verify = await lhCi(["backup", "verify", path], cwd, db.url, env);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toMatch(/a control character \(0x00\) outside COPY data/);
    await restoreRefused(path, /a control character \(0x00\) outside COPY data/);
  });

  for (const [setting, value] of [
    ["standard_conforming_strings", "off"],
    ["client_encoding", "SJIS"],
  ] as const) {
    it(`a function the dump defines that sets ${setting} during the load stops it at once, and its ALTER ROLE is rolled back`, async () => {
      const body = `CREATE FUNCTION public.flip() RETURNS integer
    LANGUAGE plpgsql
    AS $$BEGIN
  PERFORM set_config('${setting}', '${value}', false);
  EXECUTE 'ALTER ROLE CURRENT_USER SET default_transaction_read_only = on';
  RETURN 1;
END$$;

CREATE TABLE public.trigger_happy (
    id integer,
    flipped integer DEFAULT public.flip()
);

COPY public.trigger_happy (id) FROM stdin;
1
\\.

COMMENT ON TABLE public.trigger_happy IS 'a\\';

CREATE TABLE public.after (x integer);
`;
      const path = signedForgery(
        join(cwd, `flip-${setting}.sql`),
        body,
        {
          "public.trigger_happy": 1,
          "public.after": 0,
        },
        db.name,
      );
      await restoreRefused(path, new RegExp(`the load was stopped: ${setting} changed to .${value}. during the load`));
      expect(await roleSettings(db.role)).toEqual([]);
    });
  }

  it("setval by OID, or of a sequence the dump did not create, is refused: the live sequence does not move", async () => {
    const { rows } = await withClient(db.url, (client) =>
      client.query("SELECT 'public.users_id_seq'::regclass::oid AS oid"),
    );
    const oid = Number(rows[0]?.oid);
    await restoreRefused(
      signedForgery(
        join(cwd, "setval-oid.sql"),
        `SELECT pg_catalog.setval('${oid}'::regclass, 1, false);\n`,
        {},
        db.name,
      ),
      /setval must name its sequence as a literal 'schema\.sequence'/,
    );
    await restoreRefused(
      signedForgery(join(cwd, "setval-int.sql"), `SELECT pg_catalog.setval(${oid}, 1, false);\n`, {}, db.name),
      /setval must name its sequence as a literal/,
    );
    await restoreRefused(
      signedForgery(
        join(cwd, "setval-live.sql"),
        "SELECT pg_catalog.setval('public.users_id_seq', 1, false);\n",
        {},
        db.name,
      ),
      /setval of a sequence the dump did not create/,
    );
  });

  it("a sequence moved during a failed load (nextval by OID in a DEFAULT) is reported: NOT as it was", async () => {
    const { rows } = await withClient(db.url, (client) =>
      client.query("SELECT 'public.users_id_seq'::regclass::oid AS oid"),
    );
    const body = `CREATE TABLE public.grab (id integer, n bigint DEFAULT nextval('${rows[0]?.oid}'::regclass));

COPY public.grab (id) FROM stdin;
1
2
\\.

`;
    // The sidecar records 3 rows: the load is refused after the COPY ran its DEFAULTs.
    const path = signedForgery(join(cwd, "nextval.sql"), body, { "public.grab": 3 }, db.name);
    const result = await lhCi(["restore", path, "--yes", "--allow-superuser"], cwd, db.url, env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /THE DATABASE IS NOT AS IT WAS BEFORE: sequence public\.users_id_seq moved from \d+ to \d+/,
    );
    before = await databaseFingerprint(db.url); // the sequence did move: the tests after this compare with now
  });

  it("objects in pg_catalog or information_schema are refused, and so is a search_path that would reach them", async () => {
    for (const [name, sql, message] of [
      [
        "catalog.sql",
        "CREATE FUNCTION pg_catalog.upper(text) RETURNS text LANGUAGE sql AS $$SELECT 'x'$$;\n",
        /an object in the system schema pg_catalog/,
      ],
      [
        "infoschema.sql",
        "CREATE VIEW information_schema.spy AS SELECT 1 AS one;\n",
        /an object in the system schema information_schema/,
      ],
      ["search-path.sql", "SET search_path = pg_catalog;\n", /SET search_path may only keep the value pg_dump uses/],
    ] as const) {
      await restoreRefused(signedForgery(join(cwd, name), sql, {}, db.name), message);
    }
  });

  it("pg_dump's own `SET lock_timeout = 0` does not lift lh-ci's lock timeout: a lock it cannot end fails the load in time", async () => {
    const path = signedForgery(
      join(cwd, "lock.sql"),
      "CREATE TABLE public.fresh (id integer);\n\nCOPY public.fresh (id) FROM stdin;\n1\n\\.\n\n",
      { "public.fresh": 1 },
      db.name,
    );
    const metadata = JSON.parse(readFileSync(`${path}.json`, "utf8")) as BackupMetadata;
    // A superuser's open transaction on an old table: this role cannot end it; the final drop waits for it.
    const pg = await import("pg");
    const holder = new pg.default.Client({ connectionString: databaseUrl(db.name) });
    await holder.connect();
    try {
      await holder.query("BEGIN; LOCK TABLE public.users IN ACCESS SHARE MODE");
      const start = performance.now();
      const failure = await loadBackup(pgTarget(db.url), path, metadata, { lockTimeout: "2s" }).catch(
        (error: Error) => error,
      );
      expect((failure as Error).message).toMatch(/lock timeout/);
      expect(performance.now() - start).toBeLessThan(30_000);
    } finally {
      await holder.query("ROLLBACK").catch(() => undefined);
      await holder.end();
    }
    expect(await databaseFingerprint(db.url)).toEqual(before);
  });
});

describe("application code that sets its own settings keeps restoring", async () => {
  it("a CHECK that calls set_config for row-level security by tenant runs during the load and the backup round-trips", async () => {
    const db = await nonSuperuserDatabase("lh_second_wall_rls");
    const cwd = tempDir("lh-second-wall-rls-");
    await withClient(db.url, (client) =>
      client.query(`
        SET ROLE ${db.role};
        CREATE FUNCTION public.tenant_ok(t integer) RETURNS boolean LANGUAGE plpgsql AS
          $$BEGIN PERFORM set_config('app.current_tenant', t::text, false); RETURN t > 0; END$$;
        CREATE TABLE public.notes (id serial PRIMARY KEY, tenant integer NOT NULL CHECK (public.tenant_ok(tenant)), body text);
        ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
        CREATE POLICY by_tenant ON public.notes USING (tenant = current_setting('app.current_tenant', true)::integer);
        INSERT INTO public.notes (tenant, body) SELECT 1 + i % 3, 'note ' || i FROM generate_series(1, 30) i;
      `),
    );
    const env = { BACKUP_SIGNING_KEY: LEAKED_KEY };
    const backup = await lhCi(["backup"], cwd, db.url, env);
    expect(backup.code, backup.stderr).toBe(0);
    const path = join(cwd, backup.stdout.trim().split("\n").at(-1) ?? "");
    const original = await databaseFingerprint(databaseUrl(db.name));
    await withClient(databaseUrl(db.name), (client) => client.query("DELETE FROM public.notes WHERE id > 3"));
    const result = await lhCi(["restore", path, "--yes", "--allow-superuser"], cwd, db.url, env);
    expect(result.code, result.stderr).toBe(0);
    expect(await databaseFingerprint(databaseUrl(db.name))).toEqual(original);
  });
});
