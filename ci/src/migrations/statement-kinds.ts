import { type Node, names, type RangeVar, tableName } from "./parse-tree.ts";

/**
 * The vocabulary of the destructive-migration check: what it reports, which statement kinds it
 * knows, which it refuses as code it cannot read, and which settings a migration may change.
 */

/** Kinds of statement that lose data or break the release still running during a deploy. */
export type DestructiveKind =
  | "drop-table"
  | "drop-column"
  | "drop-schema"
  | "drop-type"
  | "drop-cascade"
  | "drop-owned"
  | "alter-column-type"
  | "rename"
  | "set-schema"
  | "truncate"
  | "delete-without-where"
  | "update-without-where"
  | "not-null-without-default"
  | "set-unlogged"
  | "detach-partition"
  | "sequence-restart"
  | "cannot-check"
  | "prisma-warning"
  | "unparseable";

/** Object kinds whose rename breaks the release still running (index and constraint names do not). */
export const BREAKING_RENAMES: Record<string, string> = {
  OBJECT_TABLE: "table",
  OBJECT_COLUMN: "column",
  OBJECT_SCHEMA: "schema",
  OBJECT_TYPE: "type",
  OBJECT_DOMAIN: "domain",
  OBJECT_VIEW: "view",
  OBJECT_MATVIEW: "materialized view",
  OBJECT_ATTRIBUTE: "type attribute",
  OBJECT_SEQUENCE: "sequence",
  OBJECT_FUNCTION: "function",
};

export const DROPS: Record<string, { kind: DestructiveKind; what: string }> = {
  OBJECT_TABLE: { kind: "drop-table", what: "table" },
  OBJECT_SCHEMA: { kind: "drop-schema", what: "schema" },
  OBJECT_TYPE: { kind: "drop-type", what: "type" },
  OBJECT_DOMAIN: { kind: "drop-type", what: "domain" },
};

/** Statements whose effect is code the check cannot read: refused as a whole, with what they are. */
export const CODE_BODIES: Record<string, (node: Node) => string> = {
  DoStmt: () => "DO block: its body is code (EXECUTE format(...) and the like)",
  CreateFunctionStmt: (node) =>
    `${node.is_procedure ? "procedure" : "function"} ${names(node.funcname)}: its body is code that runs later`,
  CreateTrigStmt: (node) =>
    `trigger ${node.trigname} on ${tableName(node.relation as RangeVar)}: it runs function ${names(node.funcname)} on every change`,
  RuleStmt: (node) =>
    `rule ${node.rulename} on ${tableName(node.relation as RangeVar)}: it rewrites later statements into its actions`,
  CreateEventTrigStmt: (node) => `event trigger ${node.trigname}: it runs function ${names(node.funcname)}`,
  CallStmt: (node) => `CALL ${names((node.funccall as Node | undefined)?.funcname)}: a procedure's body is code`,
};

/** Statement kinds known to change data only as their other rules below say (checked in depth). */
export const KNOWN_STATEMENTS = new Set([
  "CreateStmt",
  "CreateTableAsStmt",
  "AlterTableStmt",
  "IndexStmt",
  "CreateEnumStmt",
  "AlterEnumStmt",
  "CreateSchemaStmt",
  "CreateSeqStmt",
  "AlterSeqStmt",
  "CreateExtensionStmt",
  "CreateDomainStmt",
  "AlterDomainStmt",
  "CompositeTypeStmt",
  "CreateStatsStmt",
  "CommentStmt",
  "ViewStmt",
  "RefreshMatViewStmt",
  "GrantStmt",
  "AlterOwnerStmt",
  "SelectStmt",
  "InsertStmt",
  "UpdateStmt",
  "DeleteStmt",
  "MergeStmt",
  "RenameStmt",
  "DropStmt",
  "DropOwnedStmt",
  "TruncateStmt",
  "AlterObjectSchemaStmt",
  "VariableSetStmt",
  "PrepareStmt",
  "ExecuteStmt",
  "DeallocateStmt",
  "ExplainStmt",
  "CopyStmt",
  "TransactionStmt",
  "LockStmt",
  "VacuumStmt",
]);

/**
 * Settings a migration may change. search_path (and role) are not among them: they change what
 * every later name means, which the check reads as written.
 */
export const SAFE_SETTINGS = new Set([
  "lock_timeout",
  "statement_timeout",
  "idle_in_transaction_session_timeout",
  "client_encoding",
  "client_min_messages",
  "standard_conforming_strings",
  "check_function_bodies",
  "timezone",
  "datestyle",
  "intervalstyle",
  "extra_float_digits",
  "maintenance_work_mem",
  "work_mem",
  "synchronous_commit",
  "default_table_access_method",
  "xmloption",
]);
