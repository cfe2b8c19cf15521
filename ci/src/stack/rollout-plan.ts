/**
 * What a start-first rollout replaces: pure decisions over what the engine reports, unit-tested.
 * rollout.ts runs the plan on the engine. docs/runbook.md, "How a release replaces the running one".
 */

/**
 * The services a deploy replaces start-first: stateless, so two containers of one side by side are
 * fine (the proxy is told which of them to use, rollout.ts; the worker's jobs are claimed once, from Redis).
 */
export const ROLLING_SERVICES = ["api", "web", "ai-gateway", "worker"] as const;

/** One container of the compose project, from `docker container ls` (see docker.ts). */
export interface ProjectContainer {
  id: string;
  name: string;
  service: string;
  /** running, exited, created, restarting, ... */
  state: string;
  /** compose's `com.docker.compose.config-hash` label: the service's configuration it was made from. */
  configHash: string;
  /** compose's `com.docker.compose.image` label: the image ID it was made from. */
  imageId: string;
}

/** What a service's container must have been made from to be the release's. */
export interface DesiredService {
  configHash: string;
  imageId: string;
}

export interface ServiceRollout {
  service: string;
  /** The running containers of an older configuration or image: stopped once the new one is healthy. */
  old: ProjectContainer[];
  /** How many containers the service has while both run (compose `--scale`): the running ones and one new. */
  scale: number;
}

export function isCurrent(container: ProjectContainer, desired: DesiredService): boolean {
  return container.configHash === desired.configHash && container.imageId === desired.imageId;
}

/**
 * The services to roll out: those with a running container made from another configuration or
 * image. A service with no running container is left to compose up (nothing serves, nothing to
 * keep); one whose running containers are all current is unchanged. A running container that is
 * already current (a rollout interrupted after its new container started) is not started again:
 * only the old ones are drained.
 */
export function planRollout(
  containers: readonly ProjectContainer[],
  desired: Readonly<Record<string, DesiredService>>,
  services: readonly string[] = ROLLING_SERVICES,
): ServiceRollout[] {
  const plan: ServiceRollout[] = [];
  for (const service of services) {
    const wanted = desired[service];
    if (!wanted) continue;
    const running = containers.filter((container) => container.service === service && container.state === "running");
    const old = running.filter((container) => !isCurrent(container, wanted));
    if (old.length === 0) continue;
    const hasCurrent = running.length > old.length;
    plan.push({ service, old, scale: hasCurrent ? running.length : running.length + 1 });
  }
  return plan;
}

/** docker.ts's listComposeContainers output: one tab-separated line per container. */
export function parseContainers(text: string): ProjectContainer[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [id = "", name = "", service = "", state = "", configHash = "", imageId = ""] = line.split("\t");
      return { id, name, service, state, configHash, imageId };
    });
}

/** `docker compose config --hash a,b`: one `service hash` per line. */
export function parseConfigHashes(text: string): Record<string, string> {
  const hashes: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const [service, hash] = line.trim().split(/\s+/);
    if (service && hash) hashes[service] = hash;
  }
  return hashes;
}

/** Where a new container stands: healthy (or running without a health check), still starting, or failed. */
export type Readiness = { ready: true } | { ready: false; failed?: string };

/** From `<state> <health>` (docker.ts's containerHealth format); health is "none" without a check. */
export function readiness(stateAndHealth: string): Readiness {
  const [state = "", health = ""] = stateAndHealth.trim().split(/\s+/);
  if (state !== "running") return { ready: false, failed: `it is ${state || "gone"}` };
  if (health === "unhealthy") return { ready: false, failed: "its health check failed (unhealthy)" };
  if (health === "healthy" || health === "none") return { ready: true };
  return { ready: false };
}

/**
 * The services compose up may start before the rollout without touching the rolling ones: every
 * service but those, the one-shot migrate (the deploy ran it; the apps start with --no-deps), and
 * any that depends on a rolling service (started after the rollout, see `dependents`).
 */
export function servicesAround(
  dependencies: Readonly<Record<string, readonly string[]>>,
  rolling: readonly string[],
  oneShots: readonly string[],
): { before: string[]; after: string[] } {
  const after = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const [service, needs] of Object.entries(dependencies)) {
      if (rolling.includes(service) || after.has(service)) continue;
      if (needs.some((need) => rolling.includes(need) || after.has(need))) {
        after.add(service);
        grew = true;
      }
    }
  }
  const before = Object.keys(dependencies).filter(
    (service) => !rolling.includes(service) && !oneShots.includes(service) && !after.has(service),
  );
  return { before: before.sort(), after: [...after].sort() };
}
