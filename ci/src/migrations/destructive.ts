import { loadModule, parseSync, type ScanToken, scanSync } from "libpg-query";

/** Kinds of statement that lose data or break the release still running during a deploy. */
export type DestructiveKind =
  | "drop-table"
  | "drop-column"
  | "drop-schema"
  | "drop-type"
  | "alter-column-type"
  | "rename"
  | "truncate"
  | "delete-without-where"
  | "update-without-where"
  | "not-null-without-default"
  | "prisma-warning"
  | "unparseable";

export interface Finding {
  kind: DestructiveKind;
  /** migration.sql that holds it. */
  file: string;
  /** 1-based line where the statement (or Prisma's warning) starts. */
  line: number;
  /** What it does, in words. */
  message: string;
  /** The statement, whitespace collapsed and shortened. */
  statement: string;
}

// The AST is JSON from PostgreSQL's own parser; only the few fields read here are typed.
type Node = Record<string, unknown>;
interface RawStatement {
  stmt?: Node;
  stmt_location?: number;
  stmt_len?: number;
}
interface RangeVar {
  schemaname?: string;
  relname?: string;
}

const COMMENT_TOKENS = new Set(["SQL_COMMENT", "C_COMMENT"]);

/** Object kinds whose rename breaks the release still running (index and constraint names do not). */
const BREAKING_RENAMES: Record<string, string> = {
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

const DROPS: Record<string, { kind: DestructiveKind; what: string }> = {
  OBJECT_TABLE: { kind: "drop-table", what: "table" },
  OBJECT_SCHEMA: { kind: "drop-schema", what: "schema" },
  OBJECT_TYPE: { kind: "drop-type", what: "type" },
  OBJECT_DOMAIN: { kind: "drop-type", what: "domain" },
};

let loaded: Promise<void> | undefined;

/** Loads PostgreSQL's parser (WebAssembly) once. */
export function loadParser(): Promise<void> {
  loaded ??= loadModule();
  return loaded;
}

function tableName(relation: RangeVar | undefined): string {
  if (!relation?.relname) return "?";
  return relation.schemaname ? `${relation.schemaname}.${relation.relname}` : relation.relname;
}

function names(list: unknown): string {
  // A qualified name is a list of String nodes: [{String: {sval: "public"}}, {String: {sval: "Role"}}].
  if (!Array.isArray(list)) return "?";
  return list
    .map((item) => ((item as Node).String as { sval?: string } | undefined)?.sval)
    .filter(Boolean)
    .join(".");
}

function droppedObjectName(object: unknown): string {
  const node = object as Node;
  if (node.List) return names((node.List as { items?: unknown }).items);
  if (node.TypeName) return names((node.TypeName as { names?: unknown }).names);
  if (node.String) return String((node.String as { sval?: string }).sval);
  return "?";
}

/** Line and excerpt of a statement: byte offsets from the parser, first token after leading comments. */
class SourceMap {
  readonly #bytes: Buffer;
  readonly #tokens: ScanToken[];

  constructor(sql: string) {
    this.#bytes = Buffer.from(sql, "utf8");
    this.#tokens = scanSync(sql).tokens.filter((token) => !COMMENT_TOKENS.has(token.tokenName));
  }

  lineAt(byteOffset: number): number {
    let line = 1;
    for (let index = 0; index < byteOffset && index < this.#bytes.length; index++) {
      if (this.#bytes[index] === 0x0a) line++;
    }
    return line;
  }

  statement(raw: RawStatement): { line: number; statement: string } {
    const from = raw.stmt_location ?? 0;
    const to = raw.stmt_len ? from + raw.stmt_len : this.#bytes.length;
    const start = this.#tokens.find((token) => token.start >= from)?.start ?? from;
    const text = this.#bytes.subarray(start, to).toString("utf8").replace(/\s+/g, " ").trim();
    return { line: this.lineAt(start), statement: text.length > 160 ? `${text.slice(0, 157)}...` : text };
  }
}

/** Tables created earlier in the pending migrations: changing them loses nothing and breaks no running code. */
type CreatedTables = Set<string>;

function analyseStatement(stmt: Node, created: CreatedTables): Array<{ kind: DestructiveKind; message: string }> {
  const [type, body] = Object.entries(stmt)[0] ?? [];
  const node = (body ?? {}) as Node;
  switch (type) {
    case "CreateStmt":
      created.add(tableName(node.relation as RangeVar));
      return [];
    case "DropStmt": {
      const drop = DROPS[String(node.removeType)];
      if (!drop) return [];
      const objects = ((node.objects as unknown[]) ?? []).map(droppedObjectName).join(", ");
      return [{ kind: drop.kind, message: `drops ${drop.what} ${objects}: its data is lost` }];
    }
    case "TruncateStmt": {
      const tables = ((node.relations as Node[]) ?? []).map((item) => tableName(item.RangeVar as RangeVar));
      return [{ kind: "truncate", message: `truncates ${tables.join(", ")}: every row is deleted` }];
    }
    case "DeleteStmt":
      return node.whereClause
        ? []
        : [
            {
              kind: "delete-without-where",
              message: `deletes every row of ${tableName(node.relation as RangeVar)} (no WHERE)`,
            },
          ];
    case "UpdateStmt":
      return node.whereClause
        ? []
        : [
            {
              kind: "update-without-where",
              message: `updates every row of ${tableName(node.relation as RangeVar)} (no WHERE)`,
            },
          ];
    case "RenameStmt": {
      const what = BREAKING_RENAMES[String(node.renameType)];
      if (!what) return [];
      const target = node.relation ? tableName(node.relation as RangeVar) : droppedObjectName(node.object);
      const old = node.subname ? `${target}.${node.subname}` : target;
      return [
        {
          kind: "rename",
          message: `renames ${what} ${old} to ${node.newname}: the running release still uses the old name`,
        },
      ];
    }
    case "AlterEnumStmt":
      return node.oldVal
        ? [
            {
              kind: "rename",
              message: `renames value '${node.oldVal}' of enum ${names(node.typeName)} to '${node.newVal}': rows and the running release still use the old value`,
            },
          ]
        : [];
    case "AlterTableStmt":
      return analyseAlterTable(node, created);
    default:
      return [];
  }
}

function hasConstraint(columnDef: Node, contype: string): boolean {
  const constraints = (columnDef.constraints as Node[] | undefined) ?? [];
  return constraints.some((item) => (item.Constraint as Node | undefined)?.contype === contype);
}

function analyseAlterTable(node: Node, created: CreatedTables): Array<{ kind: DestructiveKind; message: string }> {
  const table = tableName(node.relation as RangeVar);
  if (created.has(table)) return [];
  const findings: Array<{ kind: DestructiveKind; message: string }> = [];
  for (const item of (node.cmds as Node[] | undefined) ?? []) {
    const cmd = (item.AlterTableCmd ?? {}) as Node;
    const column = `${table}.${cmd.name}`;
    switch (cmd.subtype) {
      case "AT_DropColumn":
        findings.push({ kind: "drop-column", message: `drops column ${column}: its data is lost` });
        break;
      case "AT_AlterColumnType":
        findings.push({
          kind: "alter-column-type",
          message: `changes the type of column ${column}: rewrites the table, may fail or lose precision`,
        });
        break;
      case "AT_SetNotNull":
        findings.push({
          kind: "not-null-without-default",
          message: `makes existing column ${column} NOT NULL: fails on existing NULLs and breaks writers that omit it`,
        });
        break;
      case "AT_AddColumn": {
        const def = ((cmd.def as Node | undefined)?.ColumnDef ?? {}) as Node;
        const notNull = hasConstraint(def, "CONSTR_NOTNULL") || hasConstraint(def, "CONSTR_PRIMARY");
        const filled = ["CONSTR_DEFAULT", "CONSTR_IDENTITY", "CONSTR_GENERATED"].some((kind) =>
          hasConstraint(def, kind),
        );
        if (notNull && !filled) {
          findings.push({
            kind: "not-null-without-default",
            message: `adds NOT NULL column ${table}.${def.colname} without a default: fails when ${table} has rows`,
          });
        }
        break;
      }
    }
  }
  return findings;
}

/**
 * Prisma writes a warnings block at the top of a generated migration when it knows the migration
 * loses data ("Warnings: - You are about to drop the column ..."), as a block comment or as `--`
 * lines. Each warning item is reported at its own line.
 */
function prismaWarnings(sql: string, file: string, map: SourceMap): Finding[] {
  const findings: Finding[] = [];
  let inWarnings = false;
  for (const token of scanSync(sql).tokens) {
    if (!COMMENT_TOKENS.has(token.tokenName)) {
      inWarnings = false;
      continue;
    }
    const firstLine = map.lineAt(token.start);
    const lines = token.text
      .replace(/^\/\*|\*\/$/g, "")
      .split("\n")
      .map((line) => line.replace(/^\s*(--)?\s*/, ""));
    lines.forEach((line, index) => {
      if (/^Warnings:\s*$/i.test(line)) inWarnings = true;
      else if (inWarnings && line.startsWith("- ")) {
        const message = `Prisma warns: ${line.slice(2).trim()}`;
        findings.push({ kind: "prisma-warning", file, line: firstLine + index, message, statement: "" });
      }
    });
    if (token.tokenName === "C_COMMENT") inWarnings = false;
  }
  return findings;
}

/**
 * The destructive statements of a set of migrations, in order. Uses PostgreSQL's own parser
 * (libpg_query compiled to WebAssembly), so comments, strings and dollar quoting cannot fool it.
 * Call `loadParser()` first.
 */
export function findDestructive(migrations: Array<{ path: string; sql: string }>): Finding[] {
  const created: CreatedTables = new Set();
  const findings: Finding[] = [];
  for (const { path, sql } of migrations) {
    let map: SourceMap;
    let statements: RawStatement[];
    try {
      map = new SourceMap(sql);
      statements = (parseSync(sql) as { stmts?: RawStatement[] }).stmts ?? [];
    } catch (error) {
      const details = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
      const line = details?.cursorPosition === undefined ? 1 : lineOfCharacter(sql, details.cursorPosition);
      findings.push({
        kind: "unparseable",
        file: path,
        line,
        message: `cannot be parsed as PostgreSQL (${(error as Error).message}); it cannot be checked, fix it`,
        statement: "",
      });
      continue;
    }
    findings.push(...prismaWarnings(sql, path, map));
    for (const raw of statements) {
      if (!raw.stmt) continue;
      for (const finding of analyseStatement(raw.stmt, created)) {
        findings.push({ ...finding, file: path, ...map.statement(raw) });
      }
    }
  }
  return findings;
}

function lineOfCharacter(text: string, position: number): number {
  return text.slice(0, position).split("\n").length;
}
