import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { adminQuery, createTestDatabase, withClient } from "../support/database.ts";
import { tempDir } from "../support/temp-dir.ts";
import { FORGED_KEY, pgDumpFraming, writeForgedBackup } from "./forge.ts";
import { databaseFingerprint, expectNoSecret, lhCi, seededDatabase } from "./support.ts";

/** Legitimate content before the hostile part: the refusal comes once real changes are under way. */
const LEGIT = `CREATE TABLE public.forged (id integer);

COPY public.forged (id) FROM stdin;
1
2
\\.

`;

describe("restore executes only a dump's data and definitions (forged dumps with matching sidecars)", async () => {
  const db = await seededDatabase("lh_backup_hostile");
  const other = await createTestDatabase("lh_backup_hostile_other");
  const cwd = tempDir("lh-backup-hostile-");
  const marker = join(cwd, "pwned");
  const secretFile = join(cwd, "local-secret.txt");
  let before: Record<string, string> = {};

  beforeAll(async () => {
    writeFileSync(secretFile, "first-line-of-a-local-file-XYZZY\n");
    await withClient(other.url, (client) =>
      client.query("CREATE TABLE victim (id int); INSERT INTO victim VALUES (7)"),
    );
    before = await databaseFingerprint(db.url);
  });

  let serial = 0;
  function forged(body: string, name = `forged-${++serial}.sql`): string {
    const path = join(cwd, name);
    writeForgedBackup(path, pgDumpFraming(`${LEGIT}${body}`), { "public.forged": 2 }, { database: db.name });
    return path;
  }

  async function expectRefused(path: string, message: RegExp): Promise<string> {
    const result = await lhCi(["restore", path, "--yes", "--allow-superuser"], cwd, db.secretUrl);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/rolled back, so the database is exactly as it was before \(checked: /);
    expect(result.code).toBe(1);
    expect(await databaseFingerprint(db.url)).toEqual(before);
    expect(existsSync(marker)).toBe(false);
    expectNoSecret(result.stdout, result.stderr);
    return result.stderr;
  }

  it("\\! (a shell command) is refused and never runs", async () => {
    await expectRefused(
      forged(`\\! touch ${marker}\n`),
      /line 2 after the COPY data of public\.forged: a psql meta-command \(\\!\) outside COPY data/,
    );
  });

  it("\\connect to another database followed by DROP TABLE is refused; the other database keeps its table", async () => {
    await expectRefused(
      forged(`\\connect ${other.name}\nDROP TABLE public.victim;\n`),
      /a psql meta-command \(\\connect\)/,
    );
    const { rows } = await withClient(other.url, (client) => client.query("SELECT id FROM victim"));
    expect(rows).toEqual([{ id: 7 }]);
  });

  it("DROP TABLE on its own is refused as well", async () => {
    await expectRefused(
      forged("DROP TABLE public.users;\n"),
      /"DROP TABLE public\.users;": DROP is not a statement pg_dump writes/,
    );
  });

  it("\\i (reading a local file) is refused, and nothing of the file appears in the message", async () => {
    const stderr = await expectRefused(forged(`\\i ${secretFile}\n`), /a psql meta-command \(\\i\)/);
    expect(stderr).not.toContain("XYZZY");
  });

  it("a COMMIT inside the dump is refused before psql sees it: the old schema is not left wiped", async () => {
    await expectRefused(
      forged("COMMIT;\nCREATE TABLE public.after_commit (id integer);\n"),
      /"COMMIT;": transaction control .* would break the restore's single transaction/,
    );
  });

  it("\\unrestrict with pg_dump's key in the middle does not re-enable meta-commands", async () => {
    await expectRefused(
      forged(`\\unrestrict ${FORGED_KEY}\n\\! touch ${marker}\n`),
      /a psql meta-command \(\\!\) outside COPY data; only pg_dump's \\restrict at the start and its matching \\unrestrict at the end/,
    );
  });

  it("a DO block is refused", async () => {
    await expectRefused(
      forged("DO $$ BEGIN EXECUTE 'DROP TABLE public.users CASCADE'; END $$;\n"),
      /a DO block is code, not data or a definition/,
    );
  });

  it("every kind of transaction control is refused (restore and backup verify alike)", async () => {
    await expectRefused(forged("ROLLBACK;\n"), /transaction control/);
    for (const statement of [
      "BEGIN;",
      "START TRANSACTION;",
      "END;",
      "ABORT;",
      "SAVEPOINT s;",
      "RELEASE SAVEPOINT s;",
      "ROLLBACK TO SAVEPOINT s;",
      "PREPARE TRANSACTION 'x';",
      "COMMIT AND CHAIN;",
      // pg_dump's BEGIN and COMMIT pass only around large-object data, and are never sent.
      "BEGIN;\nCREATE TABLE public.smuggled (id integer);\nCOMMIT;",
      "COMMIT;",
      "SELECT pg_catalog.lowrite(0, '\\x00');",
    ]) {
      const result = await lhCi(["backup", "verify", forged(`${statement}\n`)], cwd, db.secretUrl);
      expect(result.stderr).toMatch(
        /holds more than data and definitions, so restore would refuse it: .*transaction control/,
      );
      expect(result.code).toBe(1);
    }
  });

  it("quoting tricks that would let psql see a backslash the parser did not are refused", async () => {
    await expectRefused(
      forged("SET standard_conforming_strings = off;\n"),
      /SET standard_conforming_strings may only keep the value pg_dump uses/,
    );
    await expectRefused(forged("SET client_encoding = 'SJIS';\n"), /SET client_encoding may only keep the value/);
    // With standard strings (pinned) this is not valid SQL; with them off, psql would see `\!` outside quotes.
    await expectRefused(
      forged(`COMMENT ON TABLE public.forged IS 'a\\' , ' \\! touch ${marker} --';\n`),
      /a psql meta-command \(\\!\)|is not valid PostgreSQL/,
    );
    await expectRefused(forged("CREATE TABLE public.v (id integer) :DBNAME;\n"), /a psql variable reference \(:D/);
  });

  it("queries, COPY from programs or files, and anything after a COPY on its line are refused", async () => {
    await expectRefused(forged("SELECT pg_catalog.pg_sleep(0);\n"), /a query; only SELECT pg_catalog\.set_config/);
    await expectRefused(
      forged("SELECT pg_catalog.set_config('role', 'postgres', false);\n"),
      /a query; only SELECT pg_catalog\.set_config/,
    );
    await expectRefused(
      forged(`COPY public.forged (id) FROM PROGRAM 'touch ${marker}';\n`),
      /only COPY table \(columns\) FROM stdin passes/,
    );
    await expectRefused(
      forged("COPY public.forged (id) FROM stdin; SELECT 1;\n3\n\\.\n"),
      /something follows COPY \.\.\. FROM stdin on its line/,
    );
    await expectRefused(forged("CREATE ROLE intruder SUPERUSER;\n"), /CREATE ROLE is not a statement pg_dump writes/);
  });

  it("privileges beyond the dump's own objects are refused: role membership, default privileges, system objects, the database", async () => {
    await expectRefused(forged("GRANT pg_read_server_files TO PUBLIC;\n"), /role membership is the server's/);
    await expectRefused(
      forged("ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO PUBLIC;\n"),
      /default privileges are a role's rule/,
    );
    await expectRefused(
      forged("GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_file(text) TO PUBLIC;\n"),
      /in the system schema pg_catalog/,
    );
    await expectRefused(forged("GRANT ALL ON SCHEMA pg_catalog TO PUBLIC;\n"), /in the system schema pg_catalog/);
    await expectRefused(
      forged(`GRANT CREATE ON DATABASE ${db.name} TO PUBLIC;\n`),
      /GRANT on a database: privileges pass only on the objects a dump creates/,
    );
    await expectRefused(
      forged("GRANT SELECT ON ALL TABLES IN SCHEMA public TO PUBLIC;\n"),
      /ON ALL \.\.\. IN SCHEMA is not what pg_dump writes/,
    );
    await expectRefused(
      forged("GRANT SELECT ON TABLE public.forged TO PUBLIC GRANTED BY postgres;\n"),
      /GRANTED BY is not what pg_dump writes/,
    );
    await expectRefused(
      forged("GRANT SELECT ON TABLE public.forged TO lh_no_such_role_anywhere;\n"),
      /the server refused the statement: role "lh_no_such_role_anywhere" does not exist/,
    );
  });

  it("a statement longer than the bound (a 2 MiB multi-row INSERT) is refused before it is parsed", async () => {
    const rows = Array.from({ length: 240_000 }, (_, index) => `(${index})`).join(",");
    const path = forged(`INSERT INTO public.forged (id) VALUES ${rows};\n`);
    await expectRefused(path, /a statement longer than 1 MiB \(or one that never ends\)/);
    const verify = await lhCi(["backup", "verify", path], cwd, db.secretUrl);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toMatch(/: a (line|statement) longer than 1 MiB/);
  });

  it("a gzip dump is held to the same rules", async () => {
    const path = join(cwd, "forged.sql.gz");
    writeForgedBackup(
      path,
      pgDumpFraming(`${LEGIT}\\! touch ${marker}\n`),
      { "public.forged": 2 },
      { database: db.name },
    );
    await expectRefused(path, /a psql meta-command \(\\!\)/);
  });

  it("backup verify --restore-test refuses it too, runs nothing and drops its scratch database", async () => {
    const scratch = async () =>
      (await adminQuery("SELECT datname FROM pg_database WHERE datname LIKE 'lh_restore_test_%'")).rows.length;
    const scratchBefore = await scratch();
    const path = forged(`\\! touch ${marker}\n`);
    const verify = await lhCi(["backup", "verify", path], cwd, db.secretUrl);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toMatch(
      /holds more than data and definitions, so restore would refuse it: line \d+: a psql meta-command/,
    );
    expect(existsSync(marker)).toBe(false);
    expect(await scratch()).toBe(scratchBefore);
  });

  it("the same framing around legitimate content restores (the checks do not refuse what pg_dump writes)", async () => {
    const path = forged(
      "CREATE SEQUENCE public.forged_seq;\nSELECT pg_catalog.setval('public.forged_seq', 5, true);\nCOMMENT ON TABLE public.forged IS 'a\\b ''quoted'' ;\n\\! not a command';\n",
    );
    const result = await lhCi(["restore", path, "--yes", "--allow-superuser", "--json"], cwd, db.secretUrl);
    expect(result.stderr).not.toContain("error:");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "{}").tables).toEqual({ "public.forged": 2 });
    const { rows } = await withClient(db.url, (client) => client.query("SELECT id FROM public.forged ORDER BY id"));
    expect(rows).toEqual([{ id: 1 }, { id: 2 }]);
    const comment = await withClient(db.url, (client) =>
      client.query("SELECT obj_description('public.forged'::regclass) AS c"),
    );
    expect(comment.rows[0].c).toBe("a\\b 'quoted' ;\n\\! not a command");
  });
});
