/**
 * SQL that runs first inside the restore's single transaction: it ends the sessions that came back
 * since the restore started, then removes every object a plain pg_dump recreates, so the dump
 * applies to an empty database, and a failure anywhere later rolls all of it back.
 *
 * - every schema but the system ones is dropped with CASCADE (tables, types, functions, sequences);
 * - extensions are dropped (the dump says CREATE EXTENSION IF NOT EXISTS, which would otherwise
 *   keep the old extension's objects), and so are large objects, publications and event triggers,
 *   which live outside schemas but are in a dump;
 * - `public` is recreated with its previous owner, grants and comment: the dump (taken with
 *   --no-owner --no-privileges) does not create it, and the target's own security settings win.
 *
 * Not handled (the restore then fails cleanly and changes nothing): subscriptions (they cannot be
 * dropped inside a transaction), and casts, languages or foreign servers created outside an extension.
 */
export function clearDatabaseSql(lockTimeout: string): string {
  return `SET client_min_messages = warning;
SET lock_timeout = '${lockTimeout.replace(/'/g, "")}';
DO $lh_ci_clear$
DECLARE
  item record;
  public_owner oid;
  public_acl aclitem[];
  public_comment text;
  public_existed boolean := false;
BEGIN
  FOR item IN
    SELECT pid FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
  LOOP
    BEGIN
      PERFORM pg_terminate_backend(item.pid);
    EXCEPTION WHEN insufficient_privilege THEN
      NULL; -- its locks make us wait up to lock_timeout, then the restore fails and changes nothing
    END;
  END LOOP;

  SELECT true, nspowner, nspacl, obj_description(oid, 'pg_namespace')
    INTO public_existed, public_owner, public_acl, public_comment
    FROM pg_namespace WHERE nspname = 'public';

  FOR item IN SELECT evtname FROM pg_event_trigger LOOP
    EXECUTE format('DROP EVENT TRIGGER %I', item.evtname);
  END LOOP;
  FOR item IN SELECT pubname FROM pg_publication LOOP
    EXECUTE format('DROP PUBLICATION %I', item.pubname);
  END LOOP;
  FOR item IN SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' LOOP
    EXECUTE format('DROP EXTENSION %I CASCADE', item.extname);
  END LOOP;
  FOR item IN
    SELECT nspname FROM pg_namespace
    WHERE nspname NOT IN ('pg_catalog', 'information_schema')
      AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp\\_%'
  LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', item.nspname);
  END LOOP;
  PERFORM lo_unlink(oid) FROM pg_largeobject_metadata;

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
$lh_ci_clear$;
`;
}
