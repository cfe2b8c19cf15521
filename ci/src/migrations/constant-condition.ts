import { type Node, nodeType, type RangeVar, shape } from "./parse-tree.ts";

/**
 * Why a DELETE/UPDATE condition may hold for every row, or undefined when it depends on the row in
 * a way that is not trivially true. Fails closed: a condition that does not look at the target's
 * columns at all (`WHERE true`, `1 = 1`, `NOT false`, `EXISTS (SELECT 1)`) is treated as true for
 * every row, as is one that compares a column with itself or ORs a row-independent arm.
 */
export function alwaysTrueReason(condition: unknown, target: RangeVar): string | undefined {
  return judge(condition, targetNames(target), true);
}

/**
 * Why `condition` is `wanted` (true, or false) for every row. A condition that does not look at
 * the row may be either, so it counts as both: NOT (1 = 2) and 1 = 1 are refused alike. NOT and
 * IS TRUE / IS FALSE turn one question into the other; AND is true when all its arms are and false
 * when one is, OR the other way round.
 */
function judge(condition: unknown, target: Set<string>, wanted: boolean): string | undefined {
  if (!refersToRow(condition, target, false)) return "does not depend on the row";
  const typed = nodeType(condition);
  if (!typed) return undefined;
  const [type, node] = typed;
  if (type === "BoolExpr") {
    const args = (node.args as unknown[] | undefined) ?? [];
    if (node.boolop === "NOT_EXPR") return judge(args[0], target, !wanted);
    const reasons = args.map((arg) => judge(arg, target, wanted));
    // OR holds for every row when one arm does (AND fails for every row when one arm fails).
    const anyArm = (node.boolop === "OR_EXPR") === wanted;
    if (anyArm) {
      const armReason = reasons.find(Boolean);
      return armReason ? `has an ${wanted ? "OR" : "AND"} arm that ${armReason}` : complementaryArms(args, wanted);
    }
    return reasons.every(Boolean) ? reasons[0] : undefined;
  }
  if (type === "BooleanTest") {
    const test = String(node.booltesttype);
    if (test === "IS_TRUE" || test === "IS_NOT_FALSE") return judge(node.arg, target, wanted);
    if (test === "IS_FALSE" || test === "IS_NOT_TRUE") return judge(node.arg, target, !wanted);
    return undefined;
  }
  if (type === "A_Expr") return selfComparison(node, wanted);
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

/** Operators true (or false) whenever both sides are the same non-null value. */
const REFLEXIVE_OPERATORS = new Set(["=", "<=", ">="]);
const IRREFLEXIVE_OPERATORS = new Set(["<>", "<", ">"]);

/**
 * `x = x`, `x IN (x, ...)`, `x BETWEEN x AND x` hold for every row (x <> x, x NOT IN (x), x NOT
 * BETWEEN x AND x for none), whatever the row's value.
 */
function selfComparison(node: Node, wanted: boolean): string | undefined {
  const operator = ((node.name as Node[] | undefined)?.[0]?.String as { sval?: string } | undefined)?.sval;
  const left = node.lexpr === undefined ? undefined : shape(node.lexpr);
  if (left === undefined) return undefined;
  const list = (((node.rexpr as Node | undefined)?.List as { items?: unknown[] } | undefined)?.items ?? []).map(shape);
  switch (node.kind) {
    case "AEXPR_OP": {
      const operators = wanted ? REFLEXIVE_OPERATORS : IRREFLEXIVE_OPERATORS;
      return operators.has(String(operator)) && left === shape(node.rexpr)
        ? "compares an expression with itself"
        : undefined;
    }
    case "AEXPR_NOT_DISTINCT":
    case "AEXPR_DISTINCT":
      return (node.kind === "AEXPR_NOT_DISTINCT") === wanted && left === shape(node.rexpr)
        ? "compares an expression with itself"
        : undefined;
    case "AEXPR_IN":
      // IN is named "=", NOT IN "<>".
      return (operator === "=") === wanted && list.includes(left)
        ? "tests an expression IN a list that holds it"
        : undefined;
    case "AEXPR_BETWEEN":
    case "AEXPR_BETWEEN_SYM":
    case "AEXPR_NOT_BETWEEN":
    case "AEXPR_NOT_BETWEEN_SYM": {
      const between = node.kind === "AEXPR_BETWEEN" || node.kind === "AEXPR_BETWEEN_SYM";
      return between === wanted && list.length === 2 && list.every((bound) => bound === left)
        ? "tests an expression BETWEEN itself and itself"
        : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * `x IS NULL OR x IS NOT NULL`, `p OR NOT p`: together the arms cover every row (and `p AND NOT p`
 * no row at all).
 */
function complementaryArms(args: unknown[], wanted: boolean): string | undefined {
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
      if (inner !== undefined && seen.has(shape(inner))) {
        return `${wanted ? "ORs" : "ANDs"} a condition with its negation`;
      }
    }
  }
  return undefined;
}
