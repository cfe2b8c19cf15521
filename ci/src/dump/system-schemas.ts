type Node = Record<string, unknown>;

/**
 * The fields of each statement that name the object it creates or changes (not the objects it
 * merely uses: a view may read pg_catalog, a column may have type pg_catalog.int4). A restore
 * never sets the system schemas aside, so an object a dump put there would outlive the restore
 * and later restores (a replaced pg_catalog.upper(text) for every session): such statements are refused.
 */
const TARGET_FIELDS: Record<string, string[]> = {
  CreateStmt: ["relation"],
  CreateForeignTableStmt: ["base"],
  CreateSeqStmt: ["sequence"],
  AlterSeqStmt: ["sequence"],
  AlterTableStmt: ["relation"],
  IndexStmt: ["relation"],
  CreateEnumStmt: ["typeName"],
  AlterEnumStmt: ["typeName"],
  CompositeTypeStmt: ["typevar"],
  CreateRangeStmt: ["typeName"],
  DefineStmt: ["defnames"],
  CreateDomainStmt: ["domainname"],
  AlterDomainStmt: ["typeName"],
  CreateFunctionStmt: ["funcname"],
  AlterFunctionStmt: ["func"],
  ViewStmt: ["view"],
  RefreshMatViewStmt: ["relation"],
  CreateTableAsStmt: ["into"],
  CommentStmt: ["object"],
  SecLabelStmt: ["object"],
  CreateTrigStmt: ["relation"],
  RuleStmt: ["relation"],
  CreatePolicyStmt: ["table"],
  CreateStatsStmt: ["defnames"],
  CreateOpClassStmt: ["opclassname"],
  CreateOpFamilyStmt: ["opfamilyname"],
  AlterOpFamilyStmt: ["opfamilyname"],
  CreateConversionStmt: ["conversion_name"],
  AlterObjectDependsStmt: ["relation", "object"],
  AlterTSConfigurationStmt: ["cfgname"],
  AlterTSDictionaryStmt: ["dictname"],
  AlterOwnerStmt: ["relation", "object"],
  GrantStmt: ["objects"],
  AlterObjectSchemaStmt: ["relation", "object", "newschema"],
  CreateSchemaStmt: ["schemaname"],
  CreateExtensionStmt: ["options"],
  AlterDefaultPrivilegesStmt: ["options"],
};

/** pg_catalog, information_schema, pg_toast, pg_temp_N...: `pg_` names are reserved for the system. */
export function isSystemSchema(name: string): boolean {
  return name === "information_schema" || name.startsWith("pg_");
}

/** The system schema the statement creates or changes an object in, or undefined. */
export function systemSchemaOf(kind: string, body: Node): string | undefined {
  // Where the object itself is a schema (COMMENT ON SCHEMA, GRANT ON SCHEMA, SET SCHEMA, CREATE SCHEMA...), a bare name is one.
  const namesSchema = body.objtype === "OBJECT_SCHEMA" || kind === "CreateSchemaStmt";
  for (const field of TARGET_FIELDS[kind] ?? []) {
    const bareIsSchema = namesSchema || field === "newschema" || field === "options";
    const value = field === "options" ? schemaOptions(body.options) : body[field];
    const system = schemasNamed(value, bareIsSchema).find(isSystemSchema);
    if (system) return system;
  }
  return undefined;
}

/** `CREATE EXTENSION ... SCHEMA s` and `ALTER DEFAULT PRIVILEGES IN SCHEMA s`: the schema options' values. */
function schemaOptions(options: unknown): unknown[] {
  if (!Array.isArray(options)) return [];
  return options
    .map((option) => (option as Node).DefElem as Node | undefined)
    .filter((element) => element?.defname === "schema" || element?.defname === "schemas")
    .map((element) => element?.arg);
}

/** The schemas a name reference names: a RangeVar's schemaname, a qualified name's first part, a bare schema name. */
function schemasNamed(value: unknown, bareIsSchema: boolean): string[] {
  if (typeof value === "string") return bareIsSchema ? [value] : [];
  if (Array.isArray(value)) {
    const parts = value.map((item) => ((item as Node).String as Node | undefined)?.sval);
    if (parts.length > 0 && parts.every((part) => typeof part === "string")) {
      if (parts.length >= 2) return [parts[0] as string];
      return bareIsSchema ? [parts[0] as string] : [];
    }
    return value.flatMap((item) => schemasNamed(item, bareIsSchema));
  }
  if (value === null || typeof value !== "object") return [];
  const node = value as Node;
  if (typeof node.schemaname === "string") return [node.schemaname];
  if (typeof node.relname === "string") return [];
  const string = node.String as Node | undefined;
  if (string) return bareIsSchema && typeof string.sval === "string" ? [string.sval] : [];
  for (const key of ["List", "RangeVar", "ObjectWithArgs", "TypeName", "rel"]) {
    if (node[key]) return schemasNamed(node[key], bareIsSchema);
  }
  if (node.items) return schemasNamed(node.items, bareIsSchema);
  if (node.objname) return schemasNamed(node.objname, bareIsSchema);
  if (node.names) return schemasNamed(node.names, bareIsSchema);
  return [];
}
