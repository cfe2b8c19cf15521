import { checkGrant } from "./grant-policy.ts";
import { keepWasmOnLiftoff } from "./liftoff-only.ts";
import { StatementRefused } from "./statement-refused.ts";
import { systemSchemaOf } from "./system-schemas.ts";

export { StatementRefused };

type LibPgQuery = typeof import("libpg-query");

/**
 * What a restore lets through outside `COPY` data: the statement kinds pg_dump writes for a plain
 * dump (settings, definitions of schema objects, comments, privileges of the dump's own objects,
 * `COPY ... FROM stdin`, `setval`, constant `INSERT`s), each checked on PostgreSQL's own parse tree. Everything else is refused:
 * transaction control, `DO`, `DROP`, roles and databases, `COPY` to or from files and programs,
 * queries that call arbitrary functions.
 */

type Node = Record<string, unknown>;

/** A statement that loads rows: the table (`schema.table`) and, for an INSERT, how many rows. */
export interface DataStatement {
  kind: "copy" | "insert";
  table: string;
  /** Rows an INSERT adds (known from its VALUES lists); undefined for COPY (counted from its data). */
  rows?: number;
  /** A checked COPY's table and columns as parsed: the restore sends its own COPY built from them. */
  copy?: { schema: string; relation: string; columns: string[] };
}

/** What a checked statement does that the restore must know about. */
export interface CheckedStatement {
  /** Rows it loads (COPY, INSERT). */
  data?: DataStatement;
  /** Sequences it creates (`sequenceKey`), the only ones a later setval may move. */
  createsSequences?: string[];
  /** The sequence a `setval` moves (`sequenceKey`): setval is not transactional, so it must be one the dump created. */
  setval?: string;
  /** The setting a SET or set_config changes. */
  setting?: string;
  /**
   * pg_dump's large-object data: `BEGIN;` and `COMMIT;` around it (never sent: the restore's one
   * transaction holds it), and the lo_open / lowrite / lo_close calls allowed only between them.
   */
  largeObjects?: "begin" | "commit" | "data";
}

/** One key per sequence, whatever dots its names hold. */
export function sequenceKey(schema: string, name: string): string {
  return JSON.stringify([schema, name]);
}

/** Definitions: safe to run in the restore's transaction, they only create objects in this database. */
const DEFINITIONS = new Set([
  "CreateStmt",
  "CreateSeqStmt",
  "AlterSeqStmt",
  "AlterTableStmt",
  "IndexStmt",
  "CreateEnumStmt",
  "AlterEnumStmt",
  "CompositeTypeStmt",
  "CreateRangeStmt",
  "DefineStmt",
  "CreateDomainStmt",
  "AlterDomainStmt",
  "CreateFunctionStmt",
  "AlterFunctionStmt",
  "ViewStmt",
  "RefreshMatViewStmt",
  "CreateExtensionStmt",
  "CommentStmt",
  "CreateTrigStmt",
  "RuleStmt",
  "CreatePolicyStmt",
  "CreateStatsStmt",
  "CreateCastStmt",
  "CreateOpClassStmt",
  "CreateOpFamilyStmt",
  "AlterOpFamilyStmt",
  "CreateConversionStmt",
  "CreateTransformStmt",
  "CreatePublicationStmt",
  "AlterPublicationStmt",
  "CreateForeignTableStmt",
  "AlterObjectDependsStmt",
  "AlterTSConfigurationStmt",
  "AlterTSDictionaryStmt",
  "SecLabelStmt",
  // pg_dump writes event triggers last; only a superuser can create them.
  "CreateEventTrigStmt",
  "AlterEventTrigStmt",
]);

/** Settings pg_dump writes at the top of a dump (and with SET inside it), with the values allowed. */
const SETTINGS: Record<string, ((value: string) => boolean) | undefined> = {
  statement_timeout: undefined,
  lock_timeout: undefined,
  idle_in_transaction_session_timeout: undefined,
  transaction_timeout: undefined,
  check_function_bodies: undefined,
  xmloption: undefined,
  client_min_messages: undefined,
  row_security: undefined,
  default_tablespace: undefined,
  default_table_access_method: undefined,
  // Empty, as pg_dump sets it: every object it creates then names its schema (systemSchemaOf sees it).
  search_path: (value) => value === "",
  default_with_oids: (value) => /^(false|off|0)$/i.test(value),
  // The server and the validator must read quotes and backslashes alike: pinned, never changed.
  client_encoding: (value) => /^utf-?8$|^unicode$/i.test(value),
  standard_conforming_strings: (value) => /^(on|true|1)$/i.test(value),
};

let loaded: Promise<void> | undefined;
let parser: LibPgQuery | undefined;

/**
 * Loads PostgreSQL's parser (WebAssembly) once; call before `checkStatement`. Imported here, not
 * at the top: `lh-ci backup --help` and start-up do not pay for it, and a backup loads it while it connects.
 */
export function loadStatementParser(): Promise<void> {
  keepWasmOnLiftoff();
  loaded ??= import("libpg-query").then(async (module) => {
    await module.loadModule();
    parser = module;
  });
  return loaded;
}

/** Checks one statement (text ending with `;`); returns what the restore must know of it. Throws StatementRefused. */
export function checkStatement(sql: string): CheckedStatement {
  if (!parser) throw new Error("the SQL parser is not loaded: call loadStatementParser() first");
  let statements: Array<{ stmt?: Node }>;
  try {
    statements = (parser.parseSync(sql) as { stmts?: Array<{ stmt?: Node }> }).stmts ?? [];
  } catch (error) {
    throw new StatementRefused(`it is not valid PostgreSQL (${(error as Error).message})`);
  }
  if (statements.length !== 1 || !statements[0]?.stmt) {
    throw new StatementRefused("it is not exactly one statement");
  }
  const [kind, body] = Object.entries(statements[0].stmt)[0] as [string, Node];
  const system = systemSchemaOf(kind, body);
  if (system) throw new StatementRefused(`it creates or changes an object in the system schema ${system}`);
  if (DEFINITIONS.has(kind)) return { createsSequences: createdSequences(kind, body) };
  switch (kind) {
    case "CreateSchemaStmt":
      if (body.schemaElts) throw new StatementRefused("CREATE SCHEMA with elements is not what pg_dump writes");
      return {};
    case "CreateTableAsStmt":
      // CREATE MATERIALIZED VIEW ... WITH NO DATA defines; CREATE TABLE AS would run a query now.
      if (body.objtype === "OBJECT_MATVIEW" && (body.into as Node | undefined)?.skipData === true) return {};
      throw new StatementRefused("CREATE TABLE AS runs a query; only CREATE MATERIALIZED VIEW ... WITH NO DATA passes");
    case "VariableSetStmt":
      return { setting: checkSetting(body) };
    case "SelectStmt":
      return checkSelect(body);
    case "CopyStmt":
      return { data: checkCopy(body) };
    case "InsertStmt":
      return { data: checkInsert(body) };
    case "TransactionStmt":
      if (body.kind === "TRANS_STMT_BEGIN" && !body.options) return { largeObjects: "begin" };
      if (body.kind === "TRANS_STMT_COMMIT" && !body.chain) return { largeObjects: "commit" };
      throw new StatementRefused(
        "transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT...) would break the restore's single transaction",
      );
    case "GrantStmt":
      checkGrant(body);
      return {};
    case "CreateForeignServerStmt":
    case "CreateFdwStmt":
    case "CreateUserMappingStmt":
    case "CreateSubscriptionStmt":
      throw new StatementRefused(
        `${describe(kind)}: it reaches another database or server (a user mapping holds its password), and a restore loads only what lives in this database. Keep it out of the application's database, or create it by hand after a restore`,
      );
    case "GrantRoleStmt":
      throw new StatementRefused("role membership is the server's, not this database's: a restore never changes roles");
    case "AlterDefaultPrivilegesStmt":
      throw new StatementRefused(
        "default privileges are a role's rule for objects it creates later, written FOR ROLE the dumped database's role; a restore never changes roles. Remove them (ALTER DEFAULT PRIVILEGES ... REVOKE ...) and grant on the objects themselves",
      );
    case "DoStmt":
      throw new StatementRefused("a DO block is code, not data or a definition");
    default:
      throw new StatementRefused(`${describe(kind)} is not a statement pg_dump writes in a plain dump`);
  }
}

/** `DropStmt` -> `DROP`, `CreateRoleStmt` -> `CREATE ROLE`: for messages. */
function describe(kind: string): string {
  return kind
    .replace(/Stmt$/, "")
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toUpperCase();
}

function checkSetting(body: Node): string {
  const name = String(body.name ?? "");
  if (!(name in SETTINGS)) throw new StatementRefused(`SET ${name || body.kind} is not a setting pg_dump writes`);
  if (body.kind !== "VAR_SET_VALUE" && body.kind !== "VAR_SET_DEFAULT") {
    throw new StatementRefused(`${String(body.kind)} of ${name} is not what pg_dump writes`);
  }
  const rule = SETTINGS[name];
  if (!rule) return name;
  const args = (body.args as Node[] | undefined) ?? [];
  const value = args.length === 1 ? constantText(args[0]) : undefined;
  if (value === undefined || !rule(value))
    throw new StatementRefused(`SET ${name} may only keep the value pg_dump uses`);
  return name;
}

/** `SELECT pg_catalog.set_config('search_path', '', false)` and `SELECT pg_catalog.setval('seq', n, bool)`. */
function checkSelect(body: Node): CheckedStatement {
  const keys = Object.keys(body).filter((key) => key !== "limitOption" && key !== "op");
  const targets = body.targetList as Node[] | undefined;
  const call = ((targets?.[0]?.ResTarget as Node | undefined)?.val as Node | undefined)?.FuncCall as Node | undefined;
  const name = qualifiedName(call?.funcname);
  const args = (call?.args as Node[] | undefined) ?? [];
  const plain =
    keys.length === 1 &&
    body.op === "SETOP_NONE" &&
    body.limitOption === "LIMIT_OPTION_DEFAULT" &&
    targets?.length === 1 &&
    call !== undefined &&
    Object.keys(call).every((key) => ["funcname", "args", "funcformat", "location"].includes(key)) &&
    args.every((arg) => constantText(arg) !== undefined);
  if (plain && name === "pg_catalog.setval" && args.length >= 2 && args.length <= 3) {
    const sequence = literalSequenceName(args[0]);
    if (!sequence) {
      throw new StatementRefused(
        "setval must name its sequence as a literal 'schema.sequence' (an OID could reach a sequence the restore cannot roll back)",
      );
    }
    return { setval: sequence };
  }
  if (plain && name === "pg_catalog.lo_create" && args.length === 1) return {};
  if (plain && LARGE_OBJECT_DATA.has(name)) return { largeObjects: "data" };
  if (plain && name === "pg_catalog.set_config" && args.length === 3) {
    const setting = constantText(args[0]) ?? "";
    const rule = SETTINGS[setting];
    if (setting in SETTINGS && (!rule || rule(constantText(args[1]) ?? ""))) return { setting };
  }
  throw new StatementRefused(
    "a query; only SELECT pg_catalog.set_config(...) of a pg_dump setting and SELECT pg_catalog.setval(...) with constants pass",
  );
}

/** The calls pg_dump writes a large object's content with, between its own BEGIN and COMMIT. */
const LARGE_OBJECT_DATA = new Set(["pg_catalog.lo_open", "pg_catalog.lowrite", "pg_catalog.lo_close"]);

/** `'schema.name'` or `'"Schema"."Name"'::regclass` as pg_dump writes it, as a sequenceKey; undefined for anything else. */
function literalSequenceName(node: Node | undefined): string | undefined {
  const cast = node?.TypeCast as Node | undefined;
  const constant = (cast ? (cast.arg as Node | undefined) : node)?.A_Const as Node | undefined;
  const text = (constant?.sval as { sval?: string } | undefined)?.sval;
  if (text === undefined) return undefined;
  const parts = /^("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)\.("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)$/.exec(text);
  if (!parts?.[1] || !parts[2]) return undefined;
  const unquote = (part: string) => (part.startsWith('"') ? part.slice(1, -1).replace(/""/g, '"') : part);
  return sequenceKey(unquote(parts[1]), unquote(parts[2]));
}

/** Sequences a definition creates: CREATE SEQUENCE, and identity columns' (`SEQUENCE NAME schema.name`). */
function createdSequences(kind: string, body: Node): string[] | undefined {
  const created: string[] = [];
  if (kind === "CreateSeqStmt") {
    const sequence = body.sequence as { schemaname?: string; relname?: string } | undefined;
    if (sequence?.schemaname && sequence.relname) created.push(sequenceKey(sequence.schemaname, sequence.relname));
  }
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    if (value === null || typeof value !== "object") return;
    const element = (value as Node).DefElem as Node | undefined;
    if (element?.defname === "sequence_name") {
      const names = ((element.arg as Node | undefined)?.List as Node | undefined)?.items;
      const parts = Array.isArray(names) ? names.map((item) => ((item as Node).String as Node | undefined)?.sval) : [];
      if (parts.length === 2 && typeof parts[0] === "string" && typeof parts[1] === "string") {
        created.push(sequenceKey(parts[0], parts[1]));
      }
    }
    Object.values(value).forEach(visit);
  };
  if (kind === "AlterTableStmt" || kind === "CreateStmt") visit(body);
  return created.length > 0 ? created : undefined;
}

function checkCopy(body: Node): DataStatement {
  const allowed = ["relation", "attlist", "is_from"];
  if (body.is_from !== true || body.filename !== undefined || body.is_program || body.query || body.options) {
    throw new StatementRefused("only COPY table (columns) FROM stdin passes (no files, programs, queries or options)");
  }
  if (Object.keys(body).some((key) => !allowed.includes(key))) {
    throw new StatementRefused("only COPY table (columns) FROM stdin passes");
  }
  const relation = body.relation as { schemaname: string; relname: string };
  const columns = ((body.attlist as Node[] | undefined) ?? []).map((item) =>
    String(((item as Node).String as Node | undefined)?.sval ?? ""),
  );
  if (columns.some((column) => column === "")) throw new StatementRefused("a COPY column list that is not plain names");
  return {
    kind: "copy",
    table: qualifiedTable(body.relation as Node),
    copy: { schema: relation.schemaname, relation: relation.relname, columns },
  };
}

/** `INSERT INTO schema.table [(columns)] VALUES (constants), ...`, as pg_dump --inserts writes. */
function checkInsert(body: Node): DataStatement {
  const select = (body.selectStmt as Node | undefined)?.SelectStmt as Node | undefined;
  const lists = (select?.valuesLists as Node[] | undefined) ?? [];
  const extra = Object.keys(body).filter((key) => !["relation", "cols", "selectStmt", "override"].includes(key));
  const selectExtra = Object.keys(select ?? {}).filter((key) => !["valuesLists", "limitOption", "op"].includes(key));
  const constants = lists.every((list) =>
    (((list.List as Node | undefined)?.items as Node[] | undefined) ?? []).every(
      (item) => constantText(item) !== undefined,
    ),
  );
  if (extra.length > 0 || selectExtra.length > 0 || lists.length === 0 || !constants) {
    throw new StatementRefused("only INSERT INTO table VALUES (constants) passes");
  }
  return { kind: "insert", table: qualifiedTable(body.relation as Node), rows: lists.length };
}

function qualifiedTable(relation: Node | undefined): string {
  const range = (relation ?? {}) as { schemaname?: string; relname?: string; catalogname?: string };
  if (!range.schemaname || !range.relname || range.catalogname) {
    throw new StatementRefused("its table is not qualified with its schema as pg_dump writes it");
  }
  return `${range.schemaname}.${range.relname}`;
}

function qualifiedName(list: unknown): string {
  if (!Array.isArray(list)) return "";
  return list.map((item) => ((item as Node).String as { sval?: string } | undefined)?.sval ?? "?").join(".");
}

/** The text of a constant (a literal, possibly cast: `'x'::regclass`, `-1`, NULL), else undefined. */
function constantText(node: Node | undefined): string | undefined {
  if (!node) return undefined;
  const cast = node.TypeCast as Node | undefined;
  if (cast) return constantText(cast.arg as Node | undefined);
  const constant = node.A_Const as Node | undefined;
  if (!constant) return undefined;
  if (constant.isnull) return "";
  for (const [key, value] of Object.entries(constant)) {
    if (key === "location") continue;
    const inner = value as Record<string, unknown>;
    const text = inner.sval ?? inner.ival ?? inner.fval ?? inner.boolval ?? inner.bsval;
    return text === undefined ? "" : String(text); // ival 0 is serialised without its value
  }
  return undefined;
}
