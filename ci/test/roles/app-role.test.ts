import { describe, expect, it } from "vitest";
import { scramVerifier } from "../../src/roles/scram-verifier.ts";
import { adminQuery, withClient } from "../support/database.ts";
import { appRoleName, runRoleStep, superuserDatabase, urlAs } from "./support.ts";

const PASSWORD = "app-role-pa55word-canary";

/** Owner of every object of the database's own schemas, and of the database itself. */
async function owners(database: string, url: string): Promise<Record<string, string>> {
  const { rows } = await withClient(url, (client) =>
    client.query<{ object: string; owner: string }>(`
      SELECT 'database' AS object, pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = current_database()
      UNION ALL SELECT 'schema ' || nspname, pg_get_userbyid(nspowner) FROM pg_namespace
        WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%'
      UNION ALL SELECT 'relation ' || c.oid::regclass, pg_get_userbyid(c.relowner) FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'billing')
      UNION ALL SELECT 'routine ' || p.oid::regprocedure, pg_get_userbyid(p.proowner) FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname IN ('public', 'billing')
      UNION ALL SELECT 'type ' || t.oid::regtype, pg_get_userbyid(t.typowner) FROM pg_type t
        JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname IN ('public', 'billing')
      ORDER BY 1`),
  );
  expect(rows.length).toBeGreaterThan(0);
  expect(database).not.toBe("");
  return Object.fromEntries(rows.map((row) => [row.object, row.owner]));
}

async function roleAttributes(role: string) {
  const { rows } = await adminQuery(
    "SELECT rolsuper, rolcreatedb, rolcreaterole, rolcanlogin, rolpassword FROM pg_authid WHERE rolname = $1",
    [role],
  );
  return rows[0];
}

describe("the deploy's database role step", () => {
  it("on a fresh database: creates the role, not a superuser, with DATABASE_URL's password, owning the database", async () => {
    const db = await superuserDatabase("lh_role_fresh");
    const role = appRoleName();
    expect(await runRoleStep(db.name, { name: role, password: PASSWORD })).toBe(
      `created role ${role} (LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE), ownership of 2 objects moved to ${role}, created database ${db.name}_restore_test for its restore tests`,
    );
    const attributes = await roleAttributes(role);
    expect(attributes).toMatchObject({ rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolcanlogin: true });
    // The server stored the verifier of DATABASE_URL's password: recomputed with its salt, it is the same.
    const stored = String(attributes?.rolpassword);
    const salt = Buffer.from(stored.split("$")[1]?.split(":")[1] ?? "", "base64");
    expect(scramVerifier(PASSWORD, salt)).toBe(stored);
    expect(await owners(db.name, db.url)).toEqual({ database: role, "schema public": role });
    const scratch = await adminQuery("SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1", [
      `${db.name}_restore_test`,
    ]);
    expect(scratch.rows).toEqual([{ owner: role }]);

    // As the role, migrations can create what they need, and what they create is the role's.
    await withClient(urlAs(role, PASSWORD, db.name), (client) =>
      client.query("CREATE TABLE first_migration (id serial PRIMARY KEY); INSERT INTO first_migration DEFAULT VALUES"),
    );
    expect(await runRoleStep(db.name, { name: role, password: PASSWORD })).toBe(
      `nothing to do: ${role} exists, owns the database and its objects`,
    );
  });

  it("on a stack from before the role: every superuser-owned object moves to it, the data kept; then nothing to do", async () => {
    const db = await superuserDatabase("lh_role_existing");
    await withClient(db.url, (client) =>
      client.query(`
        CREATE TYPE role AS ENUM ('lawyer', 'client');
        CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%');
        CREATE TABLE users (id serial PRIMARY KEY, email email NOT NULL, role role NOT NULL);
        CREATE TABLE matters (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id int REFERENCES users(id));
        CREATE SEQUENCE invoice_numbers;
        CREATE VIEW lawyers AS SELECT * FROM users WHERE role = 'lawyer';
        CREATE FUNCTION matter_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM matters';
        CREATE SCHEMA billing;
        CREATE TABLE billing.invoices (id serial PRIMARY KEY, number bigint DEFAULT nextval('invoice_numbers'));
        INSERT INTO users (email, role) SELECT 'u' || i || '@example.test', 'client' FROM generate_series(1, 50) i;
        INSERT INTO matters (user_id) SELECT id FROM users;
        INSERT INTO billing.invoices DEFAULT VALUES;`),
    );
    const before = await owners(db.name, db.url);
    expect(new Set(Object.values(before))).toEqual(new Set(["postgres", "pg_database_owner"]));
    const role = appRoleName();

    const detail = await runRoleStep(db.name, { name: role, password: PASSWORD });
    // the database, 2 schemas, 3 tables, a view, a sequence (not a column's), a function, an enum, a domain
    expect(detail).toBe(
      `created role ${role} (LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE), ownership of 11 objects moved to ${role}, created database ${db.name}_restore_test for its restore tests`,
    );
    const after = await owners(db.name, db.url);
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect(Object.entries(after).filter(([, owner]) => owner !== role)).toEqual([]);

    // Everything is there and usable by the role: rows, sequences (serial, identity, standalone), the view, the function.
    await withClient(urlAs(role, PASSWORD, db.name), async (client) => {
      await client.query("INSERT INTO users (email, role) VALUES ('new@example.test', 'lawyer')");
      await client.query("INSERT INTO matters (user_id) VALUES (51); INSERT INTO billing.invoices DEFAULT VALUES");
      const { rows } = await client.query(
        "SELECT (SELECT count(*) FROM users)::int AS users, matter_count()::int AS matters, (SELECT count(*) FROM lawyers)::int AS lawyers, (SELECT max(number) FROM billing.invoices)::int AS invoice",
      );
      expect(rows[0]).toEqual({ users: 51, matters: 51, lawyers: 1, invoice: 2 });
      await client.query("ALTER TABLE users ADD COLUMN bio text"); // a later migration: the owner may
    });

    expect(await runRoleStep(db.name, { name: role, password: PASSWORD })).toBe(
      `nothing to do: ${role} exists, owns the database and its objects`,
    );
  });

  it("reduces an existing role that has more than it needs, and refuses the superuser itself as the application role", async () => {
    const db = await superuserDatabase("lh_role_reduce");
    const role = appRoleName();
    await adminQuery(`CREATE ROLE "${role}" LOGIN SUPERUSER CREATEDB`);
    expect(await runRoleStep(db.name, { name: role, password: PASSWORD })).toBe(
      `role ${role} reduced to LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE, ownership of 2 objects moved to ${role}, created database ${db.name}_restore_test for its restore tests`,
    );
    expect(await roleAttributes(role)).toMatchObject({ rolsuper: false, rolcreatedb: false });

    await expect(runRoleStep(db.name, { name: "postgres", password: PASSWORD })).rejects.toThrow(
      /the application role "postgres" is the superuser this step connects as/,
    );
  });
});
