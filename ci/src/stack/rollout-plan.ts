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
  /**
   * The hash the same configuration has without `depends_on`: what compose labels a container
   * the rollout started with `up --no-deps` (see rolledConfigHashes). Unknown: only configHash counts.
   */
  rolledConfigHash?: string;
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
  const hashes = [desired.configHash, desired.rolledConfigHash];
  return hashes.includes(container.configHash) && container.imageId === desired.imageId;
}

/** Each service's dependencies, from compose's `config --format json` of the project. */
export function dependenciesOf(configJson: string): Record<string, string[]> {
  const project = JSON.parse(configJson) as { services?: Record<string, { depends_on?: Record<string, unknown> }> };
  return Object.fromEntries(
    Object.entries(project.services ?? {}).map(([name, service]) => [name, Object.keys(service.depends_on ?? {})]),
  );
}

/** What a rolled container's hash is computed under: `<service>--rolled`, a copy without depends_on. */
const ROLLED_COPY = "--rolled";

/**
 * compose's hash of a service changes with `up --no-deps`, which drops `depends_on` before the
 * container is made: so a container the rollout started carries another hash than `config --hash`
 * gives, and every later deploy would replace it again. This turns `config --format json` into a
 * project that also has, for each of `services`, a copy without depends_on, whose hash (`config
 * --hash` of it, read from stdin) is that other one. The JSON is already interpolated; `$$`
 * stays escaped in it and is read back as `$`.
 */
export function withRolledCopies(configJson: string, services: readonly string[]): string {
  const project = JSON.parse(configJson) as { services?: Record<string, Record<string, unknown>> };
  const all = project.services ?? {};
  for (const service of services) {
    const config = all[service];
    if (!config) continue;
    const { depends_on: _dependencies, ...rest } = config;
    all[`${service}${ROLLED_COPY}`] = rest;
  }
  return JSON.stringify(project);
}

/**
 * Each service's rolled hash from the hashes of withRolledCopies's project (`readBack`), only where
 * reading the project back reproduced the service's own hash (`hashes`, compose's of the files):
 * a round trip that changed anything is not trusted, and the service is then replaced as before.
 */
export function rolledConfigHashes(
  hashes: Readonly<Record<string, string>>,
  readBack: Readonly<Record<string, string>>,
): Record<string, string> {
  const rolled: Record<string, string> = {};
  for (const [service, hash] of Object.entries(hashes)) {
    const copy = readBack[`${service}${ROLLED_COPY}`];
    if (copy && readBack[service] === hash) rolled[service] = copy;
  }
  return rolled;
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

/**
 * The running containers that carry their service's rolled hash (rolledConfigHashes): started by
 * a rollout, current, and yet a plain `compose up` would recreate them, stopping each first.
 */
export function rolledContainers(
  containers: readonly ProjectContainer[],
  rolledHashes: Readonly<Record<string, string>>,
): ProjectContainer[] {
  return containers.filter(
    (container) => container.state === "running" && container.configHash === rolledHashes[container.service],
  );
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

/** A container as `docker container inspect` reports what decides whether compose up would touch it (docker.ts's containerStates). */
export interface ContainerState {
  id: string;
  /** compose's `com.docker.compose.oneoff`: a `compose run` container (an ops session, a browser check), never up's. */
  oneOff: boolean;
  /** running, exited, ... */
  state: string;
  /** healthy, unhealthy, starting, or none without a health check. */
  health: string;
  /** The image reference the container was created from (the service's `image:`). */
  imageRef: string;
}

/** What `compose up` would find to do on a running stack, decided without running it. */
export type StackCurrency = { current: true; leftovers: ProjectContainer[] } | { current: false; why: string };

/**
 * Whether `compose up` (one-shots scaled to 0) would change nothing: every service compose starts
 * has exactly one container, made from the configuration and image the release asks for now,
 * running and healthy (or without a health check); no container of a service the compose file no
 * longer has (up removes orphans). Exited containers of the one-shots are `leftovers`: the up
 * would remove them, and so does the caller. `imageIds`: the ID each image reference names now.
 * `services`: only these are looked at (an up of some services); orphans always. `rolledHashes`:
 * a container a rollout started is current with its service's (see rolledConfigHashes).
 */
export function stackCurrency(
  containers: readonly ProjectContainer[],
  states: ReadonlyMap<string, ContainerState>,
  hashes: Readonly<Record<string, string>>,
  imageIds: ReadonlyMap<string, string>,
  oneShots: readonly string[],
  services: readonly string[] = Object.keys(hashes),
  rolledHashes: Readonly<Record<string, string>> = {},
): StackCurrency {
  const leftovers: ProjectContainer[] = [];
  const byService = new Map<string, ProjectContainer[]>();
  for (const container of containers) {
    const state = states.get(container.id);
    if (!state) return { current: false, why: `${container.name} could not be inspected` };
    if (state.oneOff) continue;
    if (!(container.service in hashes))
      return { current: false, why: `${container.name} is not of a service of the compose file` };
    if (!services.includes(container.service)) continue;
    if (oneShots.includes(container.service)) {
      if (state.state === "running") return { current: false, why: `the one-shot ${container.name} is running` };
      leftovers.push(container);
      continue;
    }
    byService.set(container.service, [...(byService.get(container.service) ?? []), container]);
  }
  for (const [service, hash] of Object.entries(hashes)) {
    if (oneShots.includes(service) || !services.includes(service)) continue;
    const own = byService.get(service) ?? [];
    if (own.length !== 1) return { current: false, why: `${service} has ${own.length} containers` };
    const [container] = own as [ProjectContainer];
    const state = states.get(container.id) as ContainerState;
    if (state.state !== "running") return { current: false, why: `${container.name} is ${state.state}` };
    if (state.health !== "healthy" && state.health !== "none") {
      return { current: false, why: `${container.name} is not healthy (${state.health})` };
    }
    if (container.configHash !== hash && container.configHash !== rolledHashes[service]) {
      return { current: false, why: `${service}'s configuration changed` };
    }
    const imageId = imageIds.get(state.imageRef);
    if (!imageId || container.imageId !== imageId) return { current: false, why: `${service}'s image changed` };
  }
  return { current: true, leftovers };
}

/** docker.ts's containerStates output: `ID<TAB>oneoff label<TAB>state<TAB>health<TAB>image reference` per line. */
export function parseContainerStates(text: string): Map<string, ContainerState> {
  const states = new Map<string, ContainerState>();
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const [id = "", oneOff = "", state = "", health = "", imageRef = ""] = line.split("\t");
    states.set(id, { id, oneOff: oneOff === "True", state, health, imageRef });
  }
  return states;
}
