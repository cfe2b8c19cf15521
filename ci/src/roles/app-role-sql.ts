/**
 * The SQL that gives the stack's database to its application role (the user of DATABASE_URL),
 * run as the postgres image's superuser by psql (in the postgres container on a stack, on the
 * host in tests). Idempotent: a second run finds nothing to do.
 *
 * Stacks deployed before the application role existed have every object owned by the superuser
 * (DATABASE_URL's user was POSTGRES_USER). REASSIGN OWNED BY is refused for the bootstrap
 * superuser (it owns the system catalogs), so each object is altered on its own.
 */
import { scramVerifier } from "./scram-verifier.ts";

export interface AppRole {
  /** The role's name: DATABASE_URL's user. */
  name: string;
  /** DATABASE_URL's password: set only when the role is created (never printed, sent as a SCRAM verifier). */
  password: string;
}

/** What the script did, from its one output line. */
export interface AppRoleOutcome {
  created: boolean;
  /** The role existed with more than it needs (superuser, createdb, ...) and was reduced. */
  tightened: boolean;
  /** Objects whose owner was changed to the role: the database, schemas, relations, routines, types. */
  moved: number;
  /** The database restore tests load into (restoreTestDatabase) was created for the role. */
  scratchCreated: boolean;
}

/**
 * The database the backup service's restore tests load into: the role may not create databases
 * (NOCREATEDB), so the step makes this one for it, and the test empties it before and after.
 */
export function restoreTestDatabase(database: string): string {
  return `${database}_restore_test`;
}

/** A SQL string literal (standard_conforming_strings is on: only the quote is special). */
function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Objects of the schemas that are not PostgreSQL's own. */
const USER_SCHEMA = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`;
/** Not part of an extension (those follow the extension's owner). */
const NOT_EXTENSION = (catalog: string, oid: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '${catalog}'::regclass AND d.objid = ${oid} AND d.deptype = 'e')`;

const DO_BLOCK = `
DO $lh_role$
DECLARE
  app text := current_setting('lh.app_role');
  app_oid oid;
  created boolean := false;
  tightened boolean := false;
  moved int := 0;
  r record;
BEGIN
  IF app = current_user THEN
    RAISE EXCEPTION 'the application role "%" is the superuser this step connects as: give DATABASE_URL a user of its own', app;
  END IF;
  SELECT oid INTO app_oid FROM pg_roles WHERE rolname = app;
  IF app_oid IS NULL THEN
    EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L',
                   app, current_setting('lh.app_verifier'));
    SELECT oid INTO app_oid FROM pg_roles WHERE rolname = app;
    created := true;
  ELSIF EXISTS (SELECT 1 FROM pg_roles WHERE oid = app_oid
                AND (rolsuper OR rolcreatedb OR rolcreaterole OR rolreplication OR rolbypassrls OR NOT rolcanlogin)) THEN
    EXECUTE format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS', app);
    tightened := true;
  END IF;

  IF (SELECT datdba FROM pg_database WHERE datname = current_database()) <> app_oid THEN
    EXECUTE format('ALTER DATABASE %I OWNER TO %I', current_database(), app);
    moved := moved + 1;
  END IF;
  IF (SELECT datdba FROM pg_database WHERE datname = current_setting('lh.scratch')) <> app_oid THEN
    EXECUTE format('ALTER DATABASE %I OWNER TO %I', current_setting('lh.scratch'), app);
    moved := moved + 1;
  END IF;
  -- public belongs to pg_database_owner on a fresh PostgreSQL 15 database: named explicitly.
  FOR r IN SELECT n.nspname FROM pg_namespace n JOIN pg_roles o ON o.oid = n.nspowner
           WHERE ${USER_SCHEMA} AND (o.rolsuper OR o.rolname = 'pg_database_owner') AND ${NOT_EXTENSION("pg_namespace", "n.oid")}
  LOOP
    EXECUTE format('ALTER SCHEMA %I OWNER TO %I', r.nspname, app);
    moved := moved + 1;
  END LOOP;
  -- Tables first: their indexes and the sequences of their serial and identity columns follow them.
  FOR r IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_roles o ON o.oid = c.relowner
           WHERE ${USER_SCHEMA} AND o.rolsuper AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
             AND ${NOT_EXTENSION("pg_class", "c.oid")}
           ORDER BY c.relkind, c.oid
  LOOP
    EXECUTE format('ALTER %s %s OWNER TO %I',
      CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE'
                     WHEN 'c' THEN 'TYPE' ELSE 'TABLE' END, r.name, app);
    moved := moved + 1;
  END LOOP;
  FOR r IN SELECT c.oid::regclass AS name FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_roles o ON o.oid = c.relowner
           WHERE ${USER_SCHEMA} AND o.rolsuper AND c.relkind = 'S' AND ${NOT_EXTENSION("pg_class", "c.oid")}
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                             AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))
  LOOP
    EXECUTE format('ALTER SEQUENCE %s OWNER TO %I', r.name, app);
    moved := moved + 1;
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS name, p.prokind FROM pg_proc p
           JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_roles o ON o.oid = p.proowner
           WHERE ${USER_SCHEMA} AND o.rolsuper AND ${NOT_EXTENSION("pg_proc", "p.oid")}
  LOOP
    EXECUTE format('ALTER %s %s OWNER TO %I',
      CASE r.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END, r.name, app);
    moved := moved + 1;
  END LOOP;
  -- Enums, domains and ranges (array and multirange types follow theirs; composites were above).
  FOR r IN SELECT t.oid::regtype AS name, t.typtype FROM pg_type t
           JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_roles o ON o.oid = t.typowner
           WHERE ${USER_SCHEMA} AND o.rolsuper AND t.typtype IN ('e', 'd', 'r') AND ${NOT_EXTENSION("pg_type", "t.oid")}
  LOOP
    EXECUTE format('ALTER %s %s OWNER TO %I', CASE r.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, r.name, app);
    moved := moved + 1;
  END LOOP;
  PERFORM set_config('lh.app_role_outcome', format('%s|%s|%s', created, tightened, moved), false);
END
$lh_role$;
`;

/**
 * How psql runs the script, on the stack and in tests alike: no psqlrc, the first error fatal, and
 * bare rows (readAppRoleOutcome reads its one output line).
 */
export const APP_ROLE_PSQL_OPTIONS = [
  "--no-psqlrc",
  "--quiet",
  "--no-align",
  "--tuples-only",
  "--set",
  "ON_ERROR_STOP=1",
] as const;

/**
 * The script for psql (`-X -q -A -t -v ON_ERROR_STOP=1`, on stdin); its output is one line that
 * readAppRoleOutcome reads. The changes are one DO statement: all of them or none.
 */
export function appRoleScript(role: AppRole, database: string): string {
  return [
    `SET lh.app_role = ${literal(role.name)};`,
    `SET lh.app_verifier = ${literal(scramVerifier(role.password))};`,
    `SET lh.scratch = ${literal(restoreTestDatabase(database))};`,
    DO_BLOCK,
    // CREATE DATABASE cannot run inside the DO block's transaction: psql runs the line \gexec builds.
    "SELECT NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = current_setting('lh.scratch')) AS scratch_missing \\gset",
    "SELECT format('CREATE DATABASE %I OWNER %I', current_setting('lh.scratch'), current_setting('lh.app_role'))",
    "  WHERE :'scratch_missing'::boolean \\gexec",
    "SELECT current_setting('lh.app_role_outcome') || '|' || :'scratch_missing';",
    "",
  ].join("\n");
}

export function readAppRoleOutcome(output: string): AppRoleOutcome {
  const line = output.trim().split("\n").at(-1) ?? "";
  const match = /^(t|f|true|false)\|(t|f|true|false)\|(\d+)\|(t|f|true|false)$/.exec(line);
  if (!match) throw new Error(`the database role step printed no outcome (got "${line.slice(0, 200)}")`);
  return {
    created: match[1]?.startsWith("t") === true,
    tightened: match[2]?.startsWith("t") === true,
    moved: Number(match[3]),
    scratchCreated: match[4]?.startsWith("t") === true,
  };
}

/** The step's one line: what it did, or that there was nothing to do. */
export function describeAppRoleOutcome(name: string, database: string, outcome: AppRoleOutcome): string {
  const done: string[] = [];
  if (outcome.created) done.push(`created role ${name} (LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE)`);
  if (outcome.tightened) done.push(`role ${name} reduced to LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE`);
  if (outcome.moved > 0) done.push(`ownership of ${outcome.moved} objects moved to ${name}`);
  if (outcome.scratchCreated) done.push(`created database ${restoreTestDatabase(database)} for its restore tests`);
  return done.length > 0 ? done.join(", ") : `nothing to do: ${name} exists, owns the database and its objects`;
}

/** psql as the postgres image's superuser over the container's unix socket, reading the role script on stdin. */
export function superuserPsql(superuser: string, database: string): string[] {
  return ["psql", ...APP_ROLE_PSQL_OPTIONS, "--username", superuser, "--dbname", database];
}
