import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IMAGE_PREFIX, STAND_IN_IMAGES } from "./paths.ts";
import { enginePublishablePorts } from "./published-ports.ts";

/** A value that must never show up in any output: random, so a match cannot be a coincidence. */
function canary(label: string): string {
  return `canary${label}${randomBytes(8).toString("hex")}`;
}

export interface E2EEnvironment {
  /** The env file handed to compose and lh-ci (mode 0600, in a private temp dir). */
  path: string;
  values: Record<string, string>;
  /** Every secret value of the file: none may appear in any output or log. */
  canaries: string[];
  /** The proxy's HTTPS and HTTP ports (the apps' only way in), Prometheus's and Alertmanager's. */
  ports: { https: number; http: number; prometheus: number; alertmanager: number };
  remove(): void;
}

/** Writes the e2e's staging env file: stand-in images, loopback-only ports, canary secrets. */
export async function writeE2EEnvironment(release: string): Promise<E2EEnvironment> {
  const dir = mkdtempSync(join(tmpdir(), "lh-e2e-env-"));
  const secrets = {
    POSTGRES_PASSWORD: canary("pg"),
    REDIS_PASSWORD: canary("redis"),
    CLERK_SECRET_KEY: `sk_test_${canary("clerk")}`,
    STRIPE_SECRET_KEY: `sk_test_${canary("stripe")}`,
    OPENAI_API_KEY: `sk-${canary("openai")}`,
    GRAFANA_ADMIN_PASSWORD: canary("grafana"),
    ALERTMANAGER_CRITICAL_WEBHOOK_URL: `http://127.0.0.1:9/${canary("critical")}`,
    ALERTMANAGER_WARNING_WEBHOOK_URL: `http://127.0.0.1:9/${canary("warning")}`,
  };
  // DATABASE_URL's password: the application role's own, not the superuser's.
  const appPassword = canary("app");
  const [https, http, prometheus, alertmanager] = (await enginePublishablePorts(4)) as [number, number, number, number];
  const ports = { https, http, prometheus, alertmanager };
  const values: Record<string, string> = {
    RELEASE: release,
    IMAGE_PREFIX,
    ...STAND_IN_IMAGES,
    // The superuser keeps the name stacks from before the application role have (DATABASE_URL's
    // user was POSTGRES_USER then): deploy.e2e migrates such a stack. The apps, migrate and lh-ci
    // connect as lawyers_hub_app, which the deploy (or lh-ci stack database-role) creates.
    POSTGRES_USER: "lawyers_hub",
    POSTGRES_DB: "lawyers_hub_staging",
    DATABASE_URL: `postgresql://lawyers_hub_app:${appPassword}@postgres:5432/lawyers_hub_staging`,
    REDIS_HOST: "redis",
    REDIS_PORT: "6379",
    GRAFANA_ADMIN_USER: "admin",
    API_URL: "http://api:4000",
    WEB_URL: "http://web:3000",
    // The AI gateway must not call out of this machine: its provider is the loopback of its container.
    OPENAI_BASE_URL: "http://127.0.0.1:9/v1",
    // No STAGING_DOMAIN: the proxy serves localhost with its internal CA, which the e2e trusts.
    PROXY_BIND_ADDRESS: "127.0.0.1",
    PROXY_HTTPS_PORT: String(ports.https),
    PROXY_HTTP_PORT: String(ports.http),
    // Every try of an upstream logged: a failed request under load names what it met.
    PROXY_LOG_LEVEL: "DEBUG",
    PROMETHEUS_PORT: String(ports.prometheus),
    ALERTMANAGER_PORT: String(ports.alertmanager),
    ...secrets,
  };
  const path = join(dir, ".env.staging");
  writeFileSync(
    path,
    `${Object.entries(values)
      .map(([key, value]) => `${key}=${value}`)
      .join("\n")}\n`,
    { mode: 0o600 },
  );
  return {
    path,
    values,
    canaries: [...Object.values(secrets), appPassword],
    ports,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
