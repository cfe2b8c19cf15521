import { alwaysTrueReason } from "./constant-condition.ts";
import { type Node, names, nodeType, type RangeVar, tableKey, tableName, walk } from "./parse-tree.ts";
import { unsafeFunction } from "./safe-functions.ts";
import {
  BREAKING_RENAMES,
  CODE_BODIES,
  type DestructiveKind,
  DROPS,
  KNOWN_STATEMENTS,
  SAFE_SETTINGS,
} from "./statement-kinds.ts";

export type { DestructiveKind } from "./statement-kinds.ts";

export interface Problem {
  kind: DestructiveKind;
  message: string;
}

/** What the statements checked so far established, across the pending migrations in order. */
export interface SchemaModel {
  /** Tables created (for certain: not `IF NOT EXISTS`) by the pending migrations; changing them loses nothing. */
  created: Set<string>;
  /** Names of statements PREPAREd by the pending migrations, whose query was checked. */
  prepared: Set<string>;
  /**
   * False once a statement the check cannot read has run (a DO block, SET search_path...): it may
   * have created or moved anything, so from then on no table counts as created by the migrations.
   */
  namesReliable: boolean;
}

export function emptySchemaModel(): SchemaModel {
  return { created: new Set(), prepared: new Set(), namesReliable: true };
}

/**
 * Every problem of one top-level statement, found by walking its whole parse tree: a DELETE in a
 * CTE, under PREPARE, EXPLAIN ANALYZE or COPY (...) TO is judged like a top-level one.
 */
export function statementProblems(stmt: Node, model: SchemaModel): Problem[] {
  const problems: Problem[] = [];
  walk(stmt, (type, node) => {
    if (type === "FuncCall") {
      const name = unsafeFunction(node);
      if (name) problems.push(cannotCheck(`calls ${name}(), whose body is code`));
      return true;
    }
    if (!type.endsWith("Stmt")) return true;
    const body = CODE_BODIES[type];
    if (body) {
      problems.push(cannotCheck(body(node)));
      return false;
    }
    if (!KNOWN_STATEMENTS.has(type)) {
      problems.push(cannotCheck(`${type.replace(/Stmt$/, "")} is not a statement this check knows to be safe`));
      return false;
    }
    problems.push(...(RULES[type]?.(node, model) ?? []));
    return true;
  });
  if (problems.some((problem) => problem.kind === "cannot-check")) {
    model.namesReliable = false;
    model.created.clear();
  }
  return problems;
}

function cannotCheck(what: string): Problem {
  return { kind: "cannot-check", message: `cannot be checked: ${what}; review it by hand` };
}

type Rule = (node: Node, model: SchemaModel) => Problem[];

const RULES: Record<string, Rule> = {
  CreateStmt(node, model) {
    // IF NOT EXISTS on an existing table creates nothing: the table keeps its data and its checks.
    if (!node.if_not_exists && model.namesReliable) model.created.add(tableKey(node.relation as RangeVar));
    return [];
  },
  CreateTableAsStmt(node, model) {
    const into = (node.into as Node | undefined)?.IntoClause as Node | undefined;
    if (!node.if_not_exists && model.namesReliable && into?.rel) model.created.add(tableKey(into.rel as RangeVar));
    return [];
  },
  CreateSeqStmt(node, model) {
    if (!node.if_not_exists && model.namesReliable) model.created.add(tableKey(node.sequence as RangeVar));
    return [];
  },
  CreateSchemaStmt(node) {
    // Its elements belong to the new schema, whatever search_path says.
    for (const element of (node.schemaElts as unknown[] | undefined) ?? []) {
      const relation = nodeType(element)?.[1].relation as RangeVar | undefined;
      if (relation && !relation.schemaname) relation.schemaname = String(node.schemaname);
    }
    return [];
  },
  DropStmt(node) {
    const drop = DROPS[String(node.removeType)];
    const objects = ((node.objects as unknown[]) ?? []).map(objectName).join(", ");
    const cascade = node.behavior === "DROP_CASCADE";
    if (drop) {
      const also = cascade ? ", and CASCADE drops whatever depends on it" : "";
      return [{ kind: drop.kind, message: `drops ${drop.what} ${objects}: its data is lost${also}` }];
    }
    if (!cascade) return [];
    const what = String(node.removeType)
      .replace(/^OBJECT_/, "")
      .toLowerCase()
      .replace(/_/g, " ");
    return [
      {
        kind: "drop-cascade",
        message: `drops ${what} ${objects} with CASCADE: every object that depends on it goes too (columns of its types, tables, views)`,
      },
    ];
  },
  DropOwnedStmt(node) {
    const roles = ((node.roles as Node[] | undefined) ?? []).map(
      (role) => (role.RoleSpec as { rolename?: string } | undefined)?.rolename ?? "?",
    );
    return [
      {
        kind: "drop-owned",
        message: `drops every object owned by ${roles.join(", ")}: tables and their data included`,
      },
    ];
  },
  AlterObjectSchemaStmt(node, model) {
    const relation = node.relation as RangeVar | undefined;
    if (relation && model.created.has(tableKey(relation))) return [];
    const name = relation ? tableName(relation) : objectName(node.object);
    const what = String(node.objectType)
      .replace(/^OBJECT_/, "")
      .toLowerCase();
    return [
      {
        kind: "set-schema",
        message: `moves ${what} ${name} to schema ${node.newschema}: the running release still looks for it where it was`,
      },
    ];
  },
  TruncateStmt(node) {
    const tables = ((node.relations as Node[]) ?? []).map((item) => tableName(item.RangeVar as RangeVar));
    return [{ kind: "truncate", message: `truncates ${tables.join(", ")}: every row is deleted` }];
  },
  DeleteStmt: (node) => everyRow(node, "delete-without-where", "deletes"),
  UpdateStmt: (node) => everyRow(node, "update-without-where", "updates"),
  MergeStmt(node) {
    const actions = ((node.mergeWhenClauses as Node[] | undefined) ?? []).map(
      (clause) => (clause.MergeWhenClause as Node | undefined)?.commandType,
    );
    if (!actions.includes("CMD_DELETE")) return [];
    return [cannotCheck(`MERGE into ${tableName(node.relation as RangeVar)} deletes the rows it matches`)];
  },
  RenameStmt(node) {
    const what = BREAKING_RENAMES[String(node.renameType)];
    if (!what) return [];
    const target = node.relation ? tableName(node.relation as RangeVar) : objectName(node.object);
    const old = node.subname ? `${target}.${node.subname}` : target;
    return [
      {
        kind: "rename",
        message: `renames ${what} ${old} to ${node.newname}: the running release still uses the old name`,
      },
    ];
  },
  AlterEnumStmt(node) {
    if (!node.oldVal) return [];
    return [
      {
        kind: "rename",
        message: `renames value '${node.oldVal}' of enum ${names(node.typeName)} to '${node.newVal}': rows and the running release still use the old value`,
      },
    ];
  },
  AlterTableStmt: alterTable,
  AlterSeqStmt(node, model) {
    const sequence = node.sequence as RangeVar;
    if (model.created.has(tableKey(sequence))) return [];
    const options = ((node.options as Node[] | undefined) ?? []).map(
      (option) => (option.DefElem as { defname?: string } | undefined)?.defname,
    );
    if (!options.includes("restart")) return [];
    return [
      {
        kind: "sequence-restart",
        message: `restarts sequence ${tableName(sequence)}: the next ids it hands out may already exist (duplicate keys)`,
      },
    ];
  },
  VariableSetStmt(node) {
    if (node.kind === "VAR_RESET_ALL" || SAFE_SETTINGS.has(String(node.name).toLowerCase())) return [];
    return [cannotCheck(`SET ${node.name} changes how later statements are read`)];
  },
  PrepareStmt(node, model) {
    model.prepared.add(String(node.name));
    return [];
  },
  ExecuteStmt(node, model) {
    if (model.prepared.has(String(node.name))) return [];
    return [cannotCheck(`EXECUTE ${node.name} runs a statement prepared outside the checked migrations`)];
  },
  CopyStmt(node) {
    if (node.is_program) return [cannotCheck("COPY ... PROGRAM runs a shell command on the database server")];
    if (node.filename) return [cannotCheck("COPY with a server file reads or writes a file on the database server")];
    return [];
  },
};

function everyRow(node: Node, kind: DestructiveKind, verb: string): Problem[] {
  const relation = node.relation as RangeVar;
  const table = tableName(relation);
  if (!node.whereClause) return [{ kind, message: `${verb} every row of ${table} (no WHERE)` }];
  const reason = alwaysTrueReason(node.whereClause, relation);
  return reason ? [{ kind, message: `${verb} every row of ${table}: its WHERE ${reason}` }] : [];
}

function hasConstraint(columnDef: Node, contype: string): boolean {
  const constraints = (columnDef.constraints as Node[] | undefined) ?? [];
  return constraints.some((item) => (item.Constraint as Node | undefined)?.contype === contype);
}

function alterTable(node: Node, model: SchemaModel): Problem[] {
  const relation = node.relation as RangeVar;
  if (model.created.has(tableKey(relation))) return [];
  const table = tableName(relation);
  const problems: Problem[] = [];
  for (const item of (node.cmds as Node[] | undefined) ?? []) {
    const cmd = (item.AlterTableCmd ?? {}) as Node;
    const column = `${table}.${cmd.name}`;
    switch (cmd.subtype) {
      case "AT_DropColumn":
        problems.push({ kind: "drop-column", message: `drops column ${column}: its data is lost` });
        break;
      case "AT_AlterColumnType":
        problems.push({
          kind: "alter-column-type",
          message: `changes the type of column ${column}: rewrites the table, may fail or lose precision`,
        });
        break;
      case "AT_SetNotNull":
        problems.push({
          kind: "not-null-without-default",
          message: `makes existing column ${column} NOT NULL: fails on existing NULLs and breaks writers that omit it`,
        });
        break;
      case "AT_SetUnLogged":
        problems.push({
          kind: "set-unlogged",
          message: `makes table ${table} UNLOGGED: a crash of the server empties it, and replicas and backups by WAL lose it`,
        });
        break;
      case "AT_DetachPartition":
        problems.push({
          kind: "detach-partition",
          message: `detaches partition ${tableName(((cmd.def as Node | undefined)?.PartitionCmd as Node | undefined)?.name as RangeVar)} from ${table}: its rows vanish from ${table}`,
        });
        break;
      case "AT_AddColumn": {
        const def = ((cmd.def as Node | undefined)?.ColumnDef ?? {}) as Node;
        const notNull = hasConstraint(def, "CONSTR_NOTNULL") || hasConstraint(def, "CONSTR_PRIMARY");
        const filled = ["CONSTR_DEFAULT", "CONSTR_IDENTITY", "CONSTR_GENERATED"].some((kind) =>
          hasConstraint(def, kind),
        );
        if (notNull && !filled) {
          problems.push({
            kind: "not-null-without-default",
            message: `adds NOT NULL column ${table}.${def.colname} without a default: fails when ${table} has rows`,
          });
        }
        break;
      }
    }
  }
  return problems;
}

function objectName(object: unknown): string {
  const node = object as Node;
  if (node.List) return names((node.List as { items?: unknown }).items);
  if (node.TypeName) return names((node.TypeName as { names?: unknown }).names);
  if (node.String) return String((node.String as { sval?: string }).sval);
  return "?";
}
