import { describe, expect, it } from "vitest";
import { adminQuery, withClient } from "../support/database.ts";
import { tempDir } from "../support/temp-dir.ts";
import { databaseFingerprint, lhCi, seededDatabase, takeBackup } from "./support.ts";

/** Every kind of object pg_dump 15 writes that an application plausibly uses. */
const ZOO = `
CREATE EXTENSION citext; CREATE EXTENSION pg_trgm; CREATE EXTENSION hstore;
CREATE SCHEMA app; CREATE SCHEMA zoo_audit;
CREATE TYPE app.status AS ENUM ('open', 'closed');
CREATE DOMAIN app.email AS citext CHECK (VALUE ~ '@');
CREATE TABLE app.people (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email app.email UNIQUE, status app.status DEFAULT 'open',
  name text, upper_name text GENERATED ALWAYS AS (upper(name)) STORED, tags hstore, tenant int DEFAULT 1);
COMMENT ON TABLE app.people IS 'people, with a comment';
COMMENT ON COLUMN app.people.name IS 'their name';
CREATE TABLE app.events (id serial, at date NOT NULL, what text) PARTITION BY RANGE (at);
CREATE TABLE app.events_2026 PARTITION OF app.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE INDEX people_name_trgm ON app.people USING gin (name gin_trgm_ops);
CREATE FUNCTION app.add(a int, b int) RETURNS int LANGUAGE sql IMMUTABLE BEGIN ATOMIC SELECT a + b; END;
CREATE FUNCTION app.twice(a int) RETURNS int LANGUAGE sql
  BEGIN ATOMIC SELECT app.add(a, a); SELECT CASE WHEN a > 0 THEN app.add(a, a) ELSE 0 END; END;
CREATE PROCEDURE app.touch(x int) LANGUAGE plpgsql AS $$BEGIN UPDATE app.people SET name = name WHERE id = x; END$$;
CREATE TABLE zoo_audit.trail (id bigserial PRIMARY KEY, what text, at timestamptz DEFAULT now());
CREATE FUNCTION zoo_audit.log() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO zoo_audit.trail(what) VALUES (TG_OP); RETURN NEW; END$$;
CREATE TRIGGER people_audit AFTER INSERT ON app.people FOR EACH ROW EXECUTE FUNCTION zoo_audit.log();
CREATE FUNCTION zoo_audit.ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$BEGIN NULL; END$$;
CREATE EVENT TRIGGER zoo_ddl ON ddl_command_end EXECUTE FUNCTION zoo_audit.ddl();
ALTER TABLE app.people ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_tenant ON app.people USING (tenant = coalesce(current_setting('app.tenant', true), '1')::int);
CREATE VIEW app.open_people AS SELECT id, email FROM app.people WHERE status = 'open';
CREATE MATERIALIZED VIEW app.people_count AS SELECT count(*) AS n FROM app.people;
INSERT INTO app.people (email, name, tags) SELECT 'u' || i || '@x.test', 'name ' || i, 'a=>1' FROM generate_series(1, 20) i;
INSERT INTO app.events (at, what) SELECT DATE '2026-01-01' + i, 'e' || i FROM generate_series(1, 30) i;
REFRESH MATERIALIZED VIEW app.people_count;
SELECT lo_from_bytea(0, 'hello large object'), lo_from_bytea(4242, 'granted');
GRANT SELECT ON app.open_people TO PUBLIC;
GRANT USAGE ON SCHEMA app TO lh_zoo_reader;
GRANT SELECT (id, name), UPDATE (name) ON app.people TO lh_zoo_reader WITH GRANT OPTION;
GRANT USAGE ON SEQUENCE zoo_audit.trail_id_seq TO lh_zoo_reader;
REVOKE ALL ON FUNCTION app.add(int, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.add(int, int) TO lh_zoo_reader;
GRANT USAGE ON TYPE app.status TO lh_zoo_reader;
GRANT EXECUTE ON FUNCTION public.similarity(text, text) TO lh_zoo_reader;
GRANT SELECT ON LARGE OBJECT 4242 TO lh_zoo_reader;
`;

/** Grants name a role of the server (roles are not in a backup): the grantee exists before and after. */
const READER_ROLE =
  "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lh_zoo_reader') THEN CREATE ROLE lh_zoo_reader; END IF; END$$";

/**
 * The definitions, as the catalogs describe them, with the contents of large objects and matviews,
 * and every privilege (grants are carried; owners are not: the restoring role owns what it restores,
 * so each ACL is read with its owner written as "owner").
 */
async function catalogFingerprint(url: string): Promise<string[]> {
  return withClient(url, async (client) => {
    // An ACL as text, its owner (whoever restored) written as "owner", in a stable order.
    await client.query(`CREATE FUNCTION pg_temp.acl(items aclitem[], owner oid) RETURNS text LANGUAGE sql AS $$
      SELECT coalesce(string_agg(replace(replace(i::text, pg_get_userbyid(owner) || '=', 'owner='),
                                         '/' || pg_get_userbyid(owner), '/owner'), ',' ORDER BY i::text), 'default')
        FROM unnest(items) i $$`);
    const { rows } = await client.query<{ item: string }>(`
      SELECT 'class ' || c.oid::regclass || ' ' || c.relkind::text || ' rls=' || c.relrowsecurity AS item
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'app', 'zoo_audit')
      UNION ALL SELECT 'proc ' || p.oid::regprocedure || ' ' || p.prokind::text || ' ' || md5(coalesce(pg_get_functiondef(p.oid), ''))
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname IN ('app', 'zoo_audit')
      UNION ALL SELECT 'trigger ' || tgname || ' ' || pg_get_triggerdef(t.oid) FROM pg_trigger t WHERE NOT tgisinternal
      UNION ALL SELECT 'event trigger ' || evtname || ' ' || evtevent FROM pg_event_trigger
      UNION ALL SELECT 'policy ' || polname || ' ' || pg_get_expr(polqual, polrelid) FROM pg_policy
      UNION ALL SELECT 'extension ' || extname FROM pg_extension
      UNION ALL SELECT 'type ' || t.oid::regtype || ' ' || t.typtype::text FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname IN ('app', 'zoo_audit') AND t.typtype IN ('e', 'd')
      UNION ALL SELECT 'comment ' || d.objoid::regclass || '.' || d.objsubid || ' ' || d.description FROM pg_description d
        WHERE d.classoid = 'pg_class'::regclass
      UNION ALL SELECT 'large object ' || md5(string_agg(lo_get(oid), '' ORDER BY oid)) FROM pg_largeobject_metadata
      UNION ALL SELECT 'acl class ' || c.oid::regclass || ' ' || pg_temp.acl(c.relacl, c.relowner)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'app', 'zoo_audit')
      UNION ALL SELECT 'acl column ' || a.attrelid::regclass || '.' || a.attname || ' ' || pg_temp.acl(a.attacl, c.relowner)
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('public', 'app', 'zoo_audit') AND a.attacl IS NOT NULL
      UNION ALL SELECT 'acl proc ' || p.oid::regprocedure || ' ' || pg_temp.acl(p.proacl, p.proowner)
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname IN ('public', 'app', 'zoo_audit')
      UNION ALL SELECT 'acl schema ' || nspname || ' ' || pg_temp.acl(nspacl, nspowner) FROM pg_namespace WHERE nspname IN ('public', 'app', 'zoo_audit')
      UNION ALL SELECT 'acl type ' || t.oid::regtype || ' ' || pg_temp.acl(t.typacl, t.typowner)
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname IN ('app', 'zoo_audit')
      UNION ALL SELECT 'acl large object ' || oid || ' ' || pg_temp.acl(lomacl, lomowner) FROM pg_largeobject_metadata
      UNION ALL SELECT 'matview ' || n FROM app.people_count
      UNION ALL SELECT 'generated ' || string_agg(upper_name, ',' ORDER BY id) FROM app.people
      ORDER BY 1`);
    return rows.map((row) => row.item);
  });
}

describe("round trip: every kind of object pg_dump 15 writes that an application uses", () => {
  it("backs up and restores to an identical fingerprint", async () => {
    const db = await seededDatabase("lh_backup_zoo");
    const cwd = tempDir("lh-backup-zoo-");
    await adminQuery(READER_ROLE);
    await withClient(db.url, (client) => client.query(ZOO));
    const data = await databaseFingerprint(db.url);
    const definitions = await catalogFingerprint(db.url);
    // The grants are there to carry (a fingerprint without them would prove nothing about them).
    expect(definitions.filter((item) => item.startsWith("acl ") && item.includes("lh_zoo_reader=")).length).toBe(8);
    const backup = await takeBackup(cwd, db.secretUrl);
    const verify = await lhCi(["backup", "verify", backup], cwd, db.secretUrl);
    expect(verify.code, verify.stderr).toBe(0);
    await withClient(db.url, (client) =>
      client.query(
        "INSERT INTO app.people (email, name) VALUES ('later@x.test', 'later'); DROP FUNCTION app.twice(int); SELECT lo_from_bytea(0, 'more'); REVOKE ALL ON app.people FROM lh_zoo_reader; GRANT ALL ON app.open_people TO lh_zoo_reader",
      ),
    );
    expect(await catalogFingerprint(db.url)).not.toEqual(definitions);

    const result = await lhCi(["restore", backup, "--yes", "--allow-superuser"], cwd, db.secretUrl);
    expect(result.code, result.stderr).toBe(0);
    expect(await databaseFingerprint(db.url)).toEqual(data);
    expect(await catalogFingerprint(db.url)).toEqual(definitions);
    const { rows } = await withClient(db.url, (client) => client.query("SELECT app.twice(21) AS n"));
    expect(rows).toEqual([{ n: 42 }]);
  });
});
