import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { buildWorkspaces } from "../../apps/test/support/build.ts";
import type { AppName } from "../../apps/test/support/service-process.ts";
import { createTestDatabase, withClient } from "../../ci/test/support/database.ts";
import { applyMigrations } from "../../ci/test/support/prisma-migrations.ts";
import { PrivateRedis } from "../../ci/test/support/redis-server.ts";
import { loadCompose } from "./support/compose-file.ts";
import { exposedMetricNames } from "./support/metrics-endpoint.ts";
import { EXPORTER_METRICS, repoPath } from "./support/paths.ts";
import { dashboardQueries, loadAlertRules, metricNames } from "./support/promql.ts";
import { ReferenceApp } from "./support/reference-app.ts";
import { runTool } from "./support/run-tool.ts";

/** The reference services whose real /metrics output the dashboards and alerts may rely on. */
const APPS: AppName[] = ["api", "worker", "web", "ai-gateway"];

const exporterMetrics = Object.keys(
  (JSON.parse(readFileSync(EXPORTER_METRICS, "utf8")) as { metrics: Record<string, unknown> }).metrics,
);

/** Every metric name used, with where it is used (for the failure message). */
function usedMetrics(): Map<string, string[]> {
  const used = new Map<string, string[]>();
  const add = (where: string, expr: string) => {
    for (const name of metricNames(expr)) used.set(name, [...(used.get(name) ?? []), where]);
  };
  for (const rule of loadAlertRules()) add(`alert ${rule.alert}`, rule.expr);
  for (const query of dashboardQueries()) add(`dashboard ${query.dashboard} / ${query.panel}`, query.expr);
  return used;
}

describe("metric names in PromQL", () => {
  it("are found in selectors, and functions, keywords, labels and strings are not", () => {
    expect(
      metricNames(
        'sum by (job, le) (rate(http_request_duration_seconds_bucket{status_code=~"5..", route!="/x"}[5m])) / on (instance) group_left max(pg_settings_max_connections) > bool 0.05 or absent(lawyers_hub_backup_last_success_timestamp_seconds) unless time() - 26 * 3600',
      ),
    ).toEqual([
      "http_request_duration_seconds_bucket",
      "lawyers_hub_backup_last_success_timestamp_seconds",
      "pg_settings_max_connections",
    ]);
    expect(metricNames("up == 0")).toEqual(["up"]);
    expect(metricNames("histogram_quantile(0.95, sum without (instance) (rate(x_bucket[1h:5m] offset 1d)))")).toEqual([
      "x_bucket",
    ]);
  });
});

/**
 * The four reference apps, started once for this file as real processes against a database with
 * the api's migrations applied (as `migrate` does before the apps start) and a private Redis.
 */
const scraped = new Map<string, Set<string>>();
const apps: ReferenceApp[] = [];

// At the top level, not in beforeAll: the helpers register their own afterAll clean-up, which
// vitest ignores when registered from inside another hook.
await (async () => {
  buildWorkspaces(["packages/service-kit", "apps/api", "apps/worker", "apps/web", "apps/ai-gateway"]);
  const database = await createTestDatabase("lh_stack_apps");
  await withClient(database.url, (client) => applyMigrations(client, repoPath("apps/api/prisma/migrations")));
  const redis = await PrivateRedis.start();
  const env = {
    DATABASE_URL: database.url,
    REDIS_HOST: "127.0.0.1",
    REDIS_PORT: String(redis.port),
    CLERK_SECRET_KEY: "sk_test_stack_metrics",
    STRIPE_SECRET_KEY: "sk_test_stack_metrics",
  };
  for (const name of APPS) {
    // web reaches the api started just before it; ai-gateway makes no call to its provider here.
    const apiUrl = apps.find((app) => app.name === "api")?.url ?? "http://127.0.0.1:9";
    const app = await ReferenceApp.start(name, { ...env, API_URL: apiUrl });
    apps.push(app);
    scraped.set(name, exposedMetricNames(await app.scrape()));
  }
})();

afterAll(async () => {
  await Promise.all(apps.map((app) => app.stop()));
});

describe("the compose health checks", () => {
  it("pass against each real app once its dependencies are up, and fail when nothing listens", async () => {
    const services = loadCompose().services;
    for (const app of apps) {
      const test = services[app.name]?.healthcheck?.test;
      if (!Array.isArray(test) || test[0] !== "CMD") throw new Error(`${app.name}: expected an exec-form health check`);
      const [command = "", ...args] = test.slice(1);
      const script = args.at(-1) ?? "";
      // In the container the app listens on its fixed port; here on the port the test gave it.
      const fixedPort = /127\.0\.0\.1:(\d+)\//.exec(script)?.[1];
      expect(fixedPort, app.name).toBeDefined();
      const local = script.replace(`127.0.0.1:${fixedPort}/`, `127.0.0.1:${app.port}/`);
      const pass = await runTool(command === "node" ? process.execPath : command, [...args.slice(0, -1), local]);
      expect(pass.code, `${app.name}: ${pass.output}`).toBe(0);
      const closed = await runTool(process.execPath, [...args.slice(0, -1), script.replace(`:${fixedPort}/`, ":9/")]);
      expect(closed.code, app.name).not.toBe(0);
    }
  });
});

describe("metric names used by alerts and dashboards", () => {
  it("come from the reference apps' real /metrics with the names the dashboards expect", () => {
    for (const [name, metrics] of scraped) {
      for (const metric of [
        "http_requests_total",
        "http_request_duration_seconds_bucket",
        "process_resident_memory_bytes",
      ]) {
        expect(metrics.has(metric), `${name} does not expose ${metric}`).toBe(true);
      }
    }
    expect(scraped.get("worker")?.has("worker_queue_backlog")).toBe(true);
  });

  it("are each exposed by a reference app or listed, with its documentation, in monitoring/exporter-metrics.json", () => {
    const known = new Set([...exporterMetrics, ...[...scraped.values()].flatMap((names) => [...names])]);
    const used = usedMetrics();
    expect(used.size).toBeGreaterThan(15);
    const unknown = [...used]
      .filter(([name]) => !known.has(name))
      .map(([name, where]) => `${name} (${where.join("; ")})`);
    expect(unknown, "metrics no app exposes and no exporter documents").toEqual([]);
  });

  it("list no exporter metric that nothing uses, so the list stays the truth", () => {
    const used = usedMetrics();
    expect(exporterMetrics.filter((name) => !used.has(name))).toEqual([]);
  });
});
