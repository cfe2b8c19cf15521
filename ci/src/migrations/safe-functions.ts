import { type Node, names } from "./parse-tree.ts";

/**
 * Built-in functions a migration may call: they compute a value and change nothing. Any other
 * function (one the schema defines, or a built-in with side effects such as set_config,
 * pg_terminate_backend, lo_unlink, dblink_exec) runs code the check cannot read, so it is refused.
 */
const SAFE_FUNCTIONS = new Set([
  // time
  "now",
  "clock_timestamp",
  "statement_timestamp",
  "transaction_timestamp",
  "date_trunc",
  "date_part",
  "extract",
  "age",
  "make_interval",
  "timezone",
  "to_char",
  "to_date",
  "to_timestamp",
  "to_number",
  // identifiers and sequences
  "gen_random_uuid",
  "uuid_generate_v4",
  "nextval",
  "currval",
  "setval",
  "md5",
  "random",
  // text
  "lower",
  "upper",
  "initcap",
  "btrim",
  "ltrim",
  "rtrim",
  "length",
  "char_length",
  "substring",
  "substr",
  "left",
  "right",
  "lpad",
  "rpad",
  "replace",
  "regexp_replace",
  "split_part",
  "strpos",
  "position",
  "concat",
  "concat_ws",
  "format",
  // numbers
  "abs",
  "round",
  "floor",
  "ceil",
  "ceiling",
  "trunc",
  // aggregates and windows
  "count",
  "sum",
  "min",
  "max",
  "avg",
  "bool_and",
  "bool_or",
  "array_agg",
  "string_agg",
  "json_agg",
  "jsonb_agg",
  "row_number",
  "rank",
  "dense_rank",
  // arrays and json
  "array_length",
  "cardinality",
  "unnest",
  "generate_series",
  "to_json",
  "to_jsonb",
  "json_build_object",
  "jsonb_build_object",
  "json_build_array",
  "jsonb_build_array",
  "jsonb_set",
  "jsonb_strip_nulls",
]);

/** The function's name when calling it is not known to be harmless, else undefined. */
export function unsafeFunction(funcCall: Node): string | undefined {
  const parts = names(funcCall.funcname).split(".");
  const unqualified = parts.length === 1 || (parts.length === 2 && parts[0] === "pg_catalog");
  const name = parts[parts.length - 1] ?? "?";
  return unqualified && SAFE_FUNCTIONS.has(name) ? undefined : parts.join(".");
}
