import { StatementRefused } from "./statement-refused.ts";

type Node = Record<string, unknown>;

/**
 * The objects a dump's GRANT and REVOKE may name: the kinds it creates itself, in this database.
 * Languages, databases, tablespaces, foreign-data wrappers, servers and parameters are not the dump's
 * (they outlive a restore, or live outside this database), so privileges on them are refused; objects
 * in system schemas are refused before this (system-schemas.ts).
 */
const GRANTABLE = new Set([
  "OBJECT_TABLE",
  "OBJECT_SEQUENCE",
  "OBJECT_FUNCTION",
  "OBJECT_PROCEDURE",
  "OBJECT_ROUTINE",
  "OBJECT_SCHEMA",
  "OBJECT_TYPE",
  "OBJECT_DOMAIN",
  "OBJECT_LARGEOBJECT",
  "OBJECT_FOREIGN_TABLE",
]);

/**
 * `GRANT privileges ON kind object TO role | PUBLIC [WITH GRANT OPTION]` and its REVOKE, as pg_dump
 * writes the privileges of the objects it dumps. Refused: role membership (`GRANT role TO role`
 * is a GrantRoleStmt, never allowed), `ON ALL ... IN SCHEMA`, `GRANTED BY`, grants to CURRENT_USER and
 * the like, and objects that are not the dump's own. The server refuses a grantee that does not exist.
 */
export function checkGrant(body: Node): void {
  const verb = body.is_grant === true ? "GRANT" : "REVOKE";
  if (body.targtype !== "ACL_TARGET_OBJECT") {
    throw new StatementRefused(`${verb} ... ON ALL ... IN SCHEMA is not what pg_dump writes`);
  }
  if (!GRANTABLE.has(String(body.objtype))) {
    throw new StatementRefused(
      `${verb} on a ${String(body.objtype)
        .replace(/^OBJECT_/, "")
        .toLowerCase()
        .replace(
          /_/g,
          " ",
        )}: privileges pass only on the objects a dump creates (tables, sequences, routines, schemas, types, large objects)`,
    );
  }
  if (body.grantor !== undefined) throw new StatementRefused(`${verb} ... GRANTED BY is not what pg_dump writes`);
  const grantees = (body.grantees as Node[] | undefined) ?? [];
  for (const grantee of grantees) {
    const role = grantee.RoleSpec as Node | undefined;
    if (role?.roletype !== "ROLESPEC_CSTRING" && role?.roletype !== "ROLESPEC_PUBLIC") {
      throw new StatementRefused(`${verb} to ${String(role?.roletype ?? "?")}: only a role's name or PUBLIC passes`);
    }
  }
  if (grantees.length === 0) throw new StatementRefused(`${verb} without a grantee`);
}
