import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ALERT_RULES, DASHBOARDS_DIR } from "./paths.ts";

/** Keywords and operators of PromQL that look like identifiers but are not metric names. */
const KEYWORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "and",
  "or",
  "unless",
  "offset",
  "inf",
  "nan",
]);

/**
 * The metric names a PromQL expression selects. Removes what cannot hold a metric name (string
 * literals, label matchers, range and subquery brackets, grouping label lists), then keeps the
 * identifiers that are neither keywords nor function calls. promtool checks the syntax separately.
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, " ")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, " ");
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![\w:.])([A-Za-z_:][\w:]*)(\s*\()?/g)) {
    const [, name = "", call] = match;
    if (call || KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names].sort();
}

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function loadAlertRules(): AlertRule[] {
  const file = parse(readFileSync(ALERT_RULES, "utf8")) as { groups: { rules: AlertRule[] }[] };
  return file.groups.flatMap((group) => group.rules);
}

interface DashboardPanel {
  title?: string;
  datasource?: { uid?: string };
  targets?: { expr?: string; datasource?: { uid?: string } }[];
  panels?: DashboardPanel[];
}

export interface Dashboard {
  file: string;
  uid: string;
  title: string;
  panels: DashboardPanel[];
}

export function loadDashboards(): Dashboard[] {
  return readdirSync(DASHBOARDS_DIR)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((name) => ({
      ...(JSON.parse(readFileSync(join(DASHBOARDS_DIR, name), "utf8")) as Omit<Dashboard, "file">),
      file: name,
    }));
}

export interface DashboardQuery {
  dashboard: string;
  panel: string;
  expr: string;
  datasourceUid: string | undefined;
}

/** Every PromQL expression of every panel (rows' nested panels included). */
export function dashboardQueries(dashboards = loadDashboards()): DashboardQuery[] {
  const queries: DashboardQuery[] = [];
  const visit = (dashboard: Dashboard, panel: DashboardPanel) => {
    for (const target of panel.targets ?? []) {
      if (target.expr === undefined) continue;
      queries.push({
        dashboard: dashboard.file,
        panel: panel.title ?? "(untitled)",
        expr: target.expr,
        datasourceUid: target.datasource?.uid ?? panel.datasource?.uid,
      });
    }
    for (const child of panel.panels ?? []) visit(dashboard, child);
  };
  for (const dashboard of dashboards) for (const panel of dashboard.panels) visit(dashboard, panel);
  return queries;
}
