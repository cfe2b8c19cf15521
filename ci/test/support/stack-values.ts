/**
 * What the compose stack requires besides the services' own variables (the postgres container's
 * credentials, Grafana's admin, Alertmanager's webhooks), for a configuration `env check` accepts.
 * POSTGRES_USER is the superuser, never DATABASE_URL's user; POSTGRES_DB is DATABASE_URL's database.
 */
export function stackValues(
  password: string,
  user = "lawyers_hub_admin",
  database = "lawyers_hub_staging",
): Record<string, string> {
  return {
    POSTGRES_USER: user,
    POSTGRES_PASSWORD: password,
    POSTGRES_DB: database,
    GRAFANA_ADMIN_USER: "admin",
    GRAFANA_ADMIN_PASSWORD: "grafana-admin-canary-0f3a",
    ALERTMANAGER_CRITICAL_WEBHOOK_URL: "http://127.0.0.1:9/critical-hook-canary-7c1e",
    ALERTMANAGER_WARNING_WEBHOOK_URL: "http://127.0.0.1:9/warning-hook-canary-5b2d",
  };
}
