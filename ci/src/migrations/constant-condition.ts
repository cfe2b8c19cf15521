import { type Node, nodeType, type RangeVar, shape } from "./parse-tree.ts";

/**
 * Why a DELETE/UPDATE condition may hold for every row, or undefined when it depends on the row in
 * a way that is not trivially true. Fails closed: a condition that does not look at the target's
 * columns at all (`WHERE true`, `1 = 1`, `NOT false`, `EXISTS (SELECT 1)`) is treated as true for
 * every row, as is one that compares a column with itself or ORs a row-independent arm.
 */
export function alwaysTrueReason(condition: unknown, target: RangeVar): string | undefined {
  if (!refersToRow(condition, targetNames(target), false)) return "does not depend on the row";
  const typed = nodeType(condition);
  if (!typed) return undefined;
  const [type, node] = typed;
  if (type === "BoolExpr") {
    const args = (node.args as unknown[] | undefined) ?? [];
    const reasons = args.map((arg) => alwaysTrueReason(arg, target));
    if (node.boolop === "OR_EXPR") {
      const armReason = reasons.find(Boolean);
      return armReason ? `has an OR arm that ${armReason}` : complementaryArms(args);
    }
    if (node.boolop === "AND_EXPR" && reasons.every(Boolean)) return reasons[0];
    return undefined;
  }
  if (type === "A_Expr" && comparesWithItself(node)) return "compares an expression with itself";
  return undefined;
}

function targetNames(target: RangeVar): Set<string> {
  const result = new Set<string>();
  if (target.relname) result.add(target.relname);
  if (target.alias?.aliasname) result.add(target.alias.aliasname);
  return result;
}

/**
 * Whether the expression reads a column of the target row. Outside subqueries any column counts
 * (an unqualified one may be the target's); inside a subquery only one qualified by the target's
 * name or alias does, since an unqualified one belongs to the subquery's own tables.
 */
function refersToRow(value: unknown, target: Set<string>, nested: boolean): boolean {
  if (Array.isArray(value)) return value.some((item) => refersToRow(item, target, nested));
  if (!value || typeof value !== "object") return false;
  const typed = nodeType(value);
  if (!typed) return Object.values(value).some((child) => refersToRow(child, target, nested));
  const [type, node] = typed;
  if (type === "ColumnRef") {
    const fields = ((node.fields as Node[] | undefined) ?? []).map(
      (field) => (field.String as { sval?: string } | undefined)?.sval,
    );
    if (fields.length > 1) return target.has(String(fields[0]));
    return !nested;
  }
  const inside = nested || type === "SelectStmt";
  return Object.values(node).some((child) => refersToRow(child, target, inside));
}

const REFLEXIVE_OPERATORS = new Set(["=", "<=", ">="]);

function comparesWithItself(node: Node): boolean {
  const operator = ((node.name as Node[] | undefined)?.[0]?.String as { sval?: string } | undefined)?.sval;
  const reflexive =
    node.kind === "AEXPR_NOT_DISTINCT" || (node.kind === "AEXPR_OP" && REFLEXIVE_OPERATORS.has(String(operator)));
  return reflexive && node.lexpr !== undefined && shape(node.lexpr) === shape(node.rexpr);
}

/** `x IS NULL OR x IS NOT NULL`, `p OR NOT p`: together the arms cover every row. */
function complementaryArms(args: unknown[]): string | undefined {
  const seen = new Set(args.map(shape));
  for (const arg of args) {
    const typed = nodeType(arg);
    if (!typed) continue;
    const [type, node] = typed;
    if (type === "NullTest") {
      const other = node.nulltesttype === "IS_NULL" ? "IS_NOT_NULL" : "IS_NULL";
      if (seen.has(shape({ NullTest: { ...node, nulltesttype: other } }))) return "tests IS NULL and IS NOT NULL";
    }
    if (type === "BoolExpr" && node.boolop === "NOT_EXPR") {
      const inner = (node.args as unknown[] | undefined)?.[0];
      if (inner !== undefined && seen.has(shape(inner))) return "ORs a condition with its negation";
    }
  }
  return undefined;
}
