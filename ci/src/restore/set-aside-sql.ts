import type pg from "pg";

const EXTENSIONS_OR_LARGE_OBJECTS =
  "EXISTS (SELECT 1 FROM pg_extension WHERE extname <> 'plpgsql') OR EXISTS (SELECT 1 FROM pg_largeobject_metadata)";

/**
 * SQL around the dump inside the restore's single transaction. The old content is not dropped up
 * front but set aside: every schema but the system ones is renamed to `<setAsidePrefix>N`, the dump
 * loads into fresh ones, and `dropSetAsideSql` drops the renamed schemas just before COMMIT. Renaming
 * takes no lock on the tables, so the load can run while the safety backup's pg_dump still holds
 * them (its snapshot and every other session see the old names until COMMIT), and a failure
 * anywhere rolls all of it back.
 *
 * Also cleared, up front: event triggers and publications, which live outside schemas but are in
 * a dump. Extensions (the dump says CREATE EXTENSION IF NOT EXISTS, which would keep the old one)
 * and large objects (the dump recreates them with their OIDs) are dropped up front too, which
 * takes the locks of every table that uses them: so that is done only when nothing runs alongside
 * (`alongsideDump` false); alongside a dump, their presence fails the restore, and the caller
 * checks for them first (`needsDropFirst`). `public` is recreated with its previous owner, grants
 * and comment: the dump (taken with --no-owner) does not create it; a GRANT or REVOKE the dump
 * holds for it applies afterwards, as it did in the dumped database.
 *
 * Not handled (the restore then fails cleanly and changes nothing): subscriptions (they cannot be
 * dropped inside a transaction), and casts, languages or foreign servers created outside an extension.
 */
export function setAsideSql(options: { lockTimeout: string; setAsidePrefix: string; alongsideDump: boolean }): string {
  const prefix = literal(options.setAsidePrefix);
  // Alongside a dump, the other sessions were ended just before it started: its own must live.
  const endSessions = options.alongsideDump ? "" : TERMINATE_RETURNING_SESSIONS;
  const extensionsAndLargeObjects = options.alongsideDump
    ? `IF ${EXTENSIONS_OR_LARGE_OBJECTS} THEN
    RAISE EXCEPTION 'lh-ci: an extension or a large object appeared during the restore; run it again (nothing was changed)';
  END IF;`
    : `FOR item IN SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' LOOP
    EXECUTE format('DROP EXTENSION %I CASCADE', item.extname);
  END LOOP;
  PERFORM lo_unlink(oid) FROM pg_largeobject_metadata;`;
  return `SET client_min_messages = warning;
SET lock_timeout = '${options.lockTimeout.replace(/'/g, "")}';
DO $lh_ci_set_aside$
DECLARE
  item record;
  counter int := 0;
  public_owner oid;
  public_acl aclitem[];
  public_comment text;
  public_existed boolean := false;
BEGIN
  ${endSessions}

  SELECT true, nspowner, nspacl, obj_description(oid, 'pg_namespace')
    INTO public_existed, public_owner, public_acl, public_comment
    FROM pg_namespace WHERE nspname = 'public';

  -- Event triggers first: they would otherwise run their functions on the drops and renames below.
  FOR item IN SELECT evtname FROM pg_event_trigger LOOP
    EXECUTE format('DROP EVENT TRIGGER %I', item.evtname);
  END LOOP;
  FOR item IN SELECT pubname FROM pg_publication LOOP
    EXECUTE format('DROP PUBLICATION %I', item.pubname);
  END LOOP;
  ${extensionsAndLargeObjects}
  FOR item IN
    SELECT nspname FROM pg_namespace
    WHERE nspname NOT IN ('pg_catalog', 'information_schema')
      AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp\\_%'
    ORDER BY nspname
  LOOP
    counter := counter + 1;
    EXECUTE format('ALTER SCHEMA %I RENAME TO %I', item.nspname, ${prefix} || counter);
  END LOOP;

  IF public_existed THEN
    EXECUTE format('CREATE SCHEMA public AUTHORIZATION %s', public_owner::regrole);
    FOR item IN
      SELECT grantee, privilege_type, is_grantable FROM aclexplode(public_acl) WHERE grantee <> public_owner
    LOOP
      EXECUTE format('GRANT %s ON SCHEMA public TO %s%s', item.privilege_type,
        CASE WHEN item.grantee = 0 THEN 'PUBLIC' ELSE item.grantee::regrole::text END,
        CASE WHEN item.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;
    IF public_comment IS NOT NULL THEN
      EXECUTE format('COMMENT ON SCHEMA public IS %L', public_comment);
    END IF;
  ELSE
    CREATE SCHEMA public;
  END IF;
END
$lh_ci_set_aside$;
`;
}

/**
 * SQL sent after the load proved good, just before COMMIT: ends the sessions that came back since
 * the restore started (their locks on the old tables would hold the drop up to lock_timeout), then
 * drops the set-aside schemas. The drop must take nothing else with it: were an object of the dump
 * to depend on an old one (only an OID written into the dump can do that), CASCADE would silently
 * drop the new object, so the objects outside the set-aside schemas are counted before and after,
 * and any difference fails the restore.
 */
export function dropSetAsideSql(setAsidePrefix: string): string {
  const prefix = literal(setAsidePrefix);
  const kept = keptObjectsCount(prefix);
  return `DO $lh_ci_drop_set_aside$
DECLARE
  item record;
  before bigint;
  after bigint;
BEGIN
  ${TERMINATE_RETURNING_SESSIONS}
  before := ${kept};
  FOR item IN SELECT nspname FROM pg_namespace WHERE starts_with(nspname::text, ${prefix}) LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', item.nspname);
  END LOOP;
  after := ${kept};
  IF after <> before THEN
    RAISE EXCEPTION 'lh-ci: % object(s) of the backup depend on the objects it replaces and would have been dropped with them; the backup is refused (nothing was changed)', before - after;
  END IF;
END
$lh_ci_drop_set_aside$;
`;
}

/**
 * Whether the database holds what `setAsideSql` can only drop up front, before anything else may
 * run (extensions, large objects): the restore then takes its safety backup first, not alongside.
 */
export async function needsDropFirst(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query<{ needed: boolean }>(`SELECT ${EXTENSIONS_OR_LARGE_OBJECTS} AS needed`);
  return rows[0]?.needed !== false;
}

/** Other client sessions on this database, ended; one this role may not end makes us wait up to lock_timeout. */
const TERMINATE_RETURNING_SESSIONS = `FOR item IN
    SELECT pid FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
  LOOP
    BEGIN
      PERFORM pg_terminate_backend(item.pid);
    EXCEPTION WHEN insufficient_privilege THEN
      NULL; -- its locks make us wait up to lock_timeout, then the restore fails and changes nothing
    END;
  END LOOP;`;

/** Relations, columns, defaults, constraints, triggers, rules, policies, functions and types outside the set-aside schemas (and pg_toast). */
function keptObjectsCount(prefix: string): string {
  // TOAST tables go with the tables they belong to: pg_toast is counted through those.
  const outside = `NOT IN (SELECT oid FROM pg_namespace WHERE starts_with(nspname::text, ${prefix}) OR nspname = 'pg_toast')`;
  const onKeptRelation = (column: string) => `JOIN pg_class c ON c.oid = ${column} WHERE c.relnamespace ${outside}`;
  return `(SELECT count(*) FROM pg_class WHERE relnamespace ${outside})
    + (SELECT count(*) FROM pg_attribute a ${onKeptRelation("a.attrelid")} AND a.attnum > 0 AND NOT a.attisdropped)
    + (SELECT count(*) FROM pg_attrdef d ${onKeptRelation("d.adrelid")})
    + (SELECT count(*) FROM pg_constraint WHERE connamespace ${outside})
    + (SELECT count(*) FROM pg_trigger t ${onKeptRelation("t.tgrelid")})
    + (SELECT count(*) FROM pg_rewrite r ${onKeptRelation("r.ev_class")})
    + (SELECT count(*) FROM pg_policy p ${onKeptRelation("p.polrelid")})
    + (SELECT count(*) FROM pg_proc WHERE pronamespace ${outside})
    + (SELECT count(*) FROM pg_type WHERE typnamespace ${outside})`;
}

/** A prefix is lh-ci's own letters, digits and underscores; quoted anyway. */
function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
