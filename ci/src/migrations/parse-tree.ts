/**
 * Reading PostgreSQL's parse tree (JSON from libpg_query). A node is `{ TypeName: { ...fields } }`;
 * only the few fields the checks read are typed.
 */
export type Node = Record<string, unknown>;

export interface RangeVar {
  schemaname?: string;
  relname?: string;
  alias?: { aliasname?: string };
}

/** `{ DeleteStmt: {...} }` -> ["DeleteStmt", {...}]; anything else -> undefined. */
export function nodeType(value: unknown): [string, Node] | undefined {
  if (!value || typeof value !== "object" || Array.isArray(value)) return undefined;
  const entries = Object.entries(value);
  if (entries.length !== 1) return undefined;
  const [type, body] = entries[0] as [string, unknown];
  if (!/^[A-Z]/.test(type) || !body || typeof body !== "object" || Array.isArray(body)) return undefined;
  return [type, body as Node];
}

/**
 * Calls `visit` for every node of the tree, depth first, parents before children. `visit` returns
 * false to skip a node's children (a body already refused as a whole).
 */
export function walk(value: unknown, visit: (type: string, node: Node) => boolean | undefined): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visit);
    return;
  }
  if (!value || typeof value !== "object") return;
  const typed = nodeType(value);
  if (typed && visit(typed[0], typed[1]) === false) return;
  for (const child of Object.values(typed ? typed[1] : value)) walk(child, visit);
}

/** Whether any node of the tree satisfies `test`. */
export function someNode(value: unknown, test: (type: string, node: Node) => boolean): boolean {
  let found = false;
  walk(value, (type, node) => {
    if (found || test(type, node)) found = true;
    return !found;
  });
  return found;
}

/** A qualified name: a list of String nodes ([{String: {sval: "public"}}, {String: {sval: "Role"}}]). */
export function names(list: unknown): string {
  if (!Array.isArray(list)) return "?";
  return list
    .map((item) => ((item as Node).String as { sval?: string } | undefined)?.sval)
    .filter(Boolean)
    .join(".");
}

/** A table as written; unqualified names are public's (a migration that changes search_path is refused). */
export function tableName(relation: RangeVar | undefined): string {
  if (!relation?.relname) return "?";
  return relation.schemaname ? `${relation.schemaname}.${relation.relname}` : relation.relname;
}

/** The table a name resolves to, for comparing names: `"User"` and `public."User"` are one table. */
export function tableKey(relation: RangeVar | undefined): string {
  return `${relation?.schemaname ?? "public"}.${relation?.relname ?? "?"}`;
}

/** The node without its source positions, for comparing two expressions. */
export function shape(value: unknown): string {
  return JSON.stringify(value, (key, item) => (key === "location" ? undefined : item));
}
