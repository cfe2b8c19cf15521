import { fileURLToPath } from "node:url";

/** The repository root, from which every image is built and compose runs. */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const STAGING_COMPOSE_FILE = fileURLToPath(
  new URL("../../../compose/docker-compose.staging.yml", import.meta.url),
);
/** The e2e's only layer over the real compose file: the migrate stand-in and Grafana left out. */
export const E2E_COMPOSE_FILE = fileURLToPath(new URL("../compose.e2e.yml", import.meta.url));
/** Base image and stand-ins, built by tests/e2e/provision.sh (never pulled). */
export const NODE_IMAGE = "lh-e2e/node:24-bookworm-slim";
export const IMAGE_PREFIX = "lh-e2e";
export const STAND_IN_IMAGES = {
  POSTGRES_IMAGE: "lh-e2e/postgres:15",
  REDIS_IMAGE: "lh-e2e/redis:7",
  PROMETHEUS_IMAGE: "lh-e2e/prometheus:2",
  ALERTMANAGER_IMAGE: "lh-e2e/alertmanager:0",
  PUSHGATEWAY_IMAGE: "lh-e2e/pushgateway:1",
  POSTGRES_EXPORTER_IMAGE: "lh-e2e/postgres-exporter:0",
  REDIS_EXPORTER_IMAGE: "lh-e2e/redis-exporter:1",
  PROXY_IMAGE: "lh-e2e/caddy:2",
} as const;
