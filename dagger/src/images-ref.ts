/** Pinned base images of the module's own containers (the services pin theirs in their Dockerfiles). */
export const NODE_IMAGE = "node:24.21.0-bookworm-slim";
export const DOCKER_CLI_IMAGE = "docker:28.5.1-cli";
export const DOCKER_DIND_IMAGE = "docker:28.5.1-dind";
export const POSTGRES_IMAGE = "postgres:15.13-bookworm";
export const REDIS_IMAGE = "redis:7.4.5-bookworm";
/** Debian packages the test suite calls (what .ci/run installs on a CI machine). */
export const TEST_TOOL_PACKAGES = [
  "postgresql-client-15",
  "postgresql-15",
  "redis-server",
  "prometheus",
  "prometheus-alertmanager",
  "shellcheck",
  "git",
  "ca-certificates",
];
