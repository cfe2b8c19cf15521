import { fileURLToPath } from "node:url";

/** Absolute paths of the files the stack tests read, from the repository root. */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export function repoPath(relative: string): string {
  return fileURLToPath(new URL(relative, `file://${REPO_ROOT}`));
}

export const COMPOSE_FILE = repoPath("compose/docker-compose.staging.yml");
export const DCLINT_CONFIG = repoPath("compose/.dclintrc.yml");
export const PROMETHEUS_CONFIG = repoPath("monitoring/prometheus/prometheus.yml");
export const ALERT_RULES = repoPath("monitoring/prometheus/prometheus_alerts.yml");
export const ALERT_RULE_TESTS = repoPath("monitoring/prometheus/prometheus_alerts.test.yml");
export const ALERTMANAGER_CONFIG = repoPath("monitoring/alertmanager/alertmanager.yml");
export const DASHBOARDS_DIR = repoPath("monitoring/grafana/dashboards");
export const DATASOURCES = repoPath("monitoring/grafana/provisioning/datasources/datasources.yml");
export const DASHBOARD_PROVIDERS = repoPath("monitoring/grafana/provisioning/dashboards/dashboards.yml");
export const EXPORTER_METRICS = repoPath("monitoring/exporter-metrics.json");
