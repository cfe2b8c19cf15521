/**
 * A release replaces the running one start-first (docker-rollout's order, Swarm's
 * `order: start-first`): for each stateless service whose configuration or image changed, compose
 * starts one new container next to the old one; once every new container is healthy the old ones
 * get SIGTERM (they stop accepting, finish what is in flight within stop_grace_period, exit) and
 * are removed. A new container that fails is removed and no old one is ever stopped.
 * The proxy's Caddyfile finds web and api by Docker DNS, which would hand a new container traffic
 * as soon as it starts. So while a rolling service it routes is replaced, lh-ci tells the proxy
 * which containers to use (a reload through `docker exec`, proxy-routes.ts): pinned to the running
 * ones before the new ones start, switched to only the new ones once lh-ci has seen them healthy,
 * and only then are the old ones stopped (they answer the requests the proxy still has in flight
 * to them before they exit: the reload does not wait for those).
 * A failed switch routes back to the old ones. The proxy keeps those static routes until its next
 * reload or restart (then its Caddyfile's DNS lookup again). Without a running proxy (a smaller
 * stack) nothing of this happens.
 * Decisions are rollout-plan.ts's; this file only runs them on the engine.
 */
import { Readable } from "node:stream";
import * as composeCommands from "./compose.ts";
import { type ComposeProject, DATABASE_ROLE_SERVICE, MIGRATE_SERVICE, UP_WAIT_SECONDS } from "./compose.ts";
import * as docker from "./docker.ts";
import type { Executor } from "./executor.ts";
import {
  describeRoutes,
  PROXY_CADDYFILE,
  PROXY_SERVICE,
  pinnedRoutes,
  proxiedServices,
  renderProxyRoutes,
  routesByAddress,
} from "./proxy-routes.ts";
import {
  type DesiredService,
  dependenciesOf,
  type ProjectContainer,
  parseConfigHashes,
  parseContainerStates,
  parseContainers,
  planRollout,
  ROLLING_SERVICES,
  readiness,
  rolledConfigHashes,
  rolledContainers,
  type ServiceRollout,
  servicesAround,
  stackCurrency,
  withRolledCopies,
} from "./rollout-plan.ts";

/** How long one reload of the proxy may take (it returns once the new configuration serves: well under this). */
const PROXY_RELOAD_TIMEOUT_MS = 60_000;

/**
 * How many times the proxy is tried before the new containers start, POLL_MS apart: its admin API
 * gets 10 s to answer after a restart.
 */
const PROXY_PIN_ATTEMPTS = 40;

/** The running proxy of a rollout: the Caddyfile it started with, and the containers it was pinned to. */
interface PinnedProxy {
  id: string;
  name: string;
  caddyfile: string;
  /** The rolling services it routes. */
  routed: string[];
  /** Each routed service's containers that ran when the rollout began. */
  pinned: Record<string, string[]>;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Each service's containers among `containers`, by name. */
function routesOf(containers: readonly ProjectContainer[], services: readonly string[]): Record<string, string[]> {
  return Object.fromEntries(
    services.map((service) => [service, containers.filter((c) => c.service === service).map((c) => c.name)]),
  );
}

/** "web to lawyers-hub-web-2 only (was lawyers-hub-web-1)". */
function describeSwitch(
  routes: Readonly<Record<string, readonly string[]>>,
  was: Readonly<Record<string, readonly string[]>>,
): string {
  return Object.entries(routes)
    .map(([service, names]) => `${service} to ${names.join(" and ")} only (was ${(was[service] ?? []).join(" and ")})`)
    .join(", ");
}

/** A rollout that stopped before any old container was: what failed, and that the old release still serves. */
export class RolloutFailed extends Error {
  override name = "RolloutFailed";
}

/**
 * How often a new container's state is read while it starts: a health check that passes is acted
 * on within a quarter of a second (each read is one `docker container inspect`, some 20 ms).
 */
const POLL_MS = 250;

export interface RolloutOptions {
  /** How long a new container may take to become healthy (default: compose up's own wait). */
  waitSeconds?: number;
  /** Between two reads of the new containers' health (tests shorten it). */
  pollMs?: number;
}

/**
 * What `up` needs of the compose project as `release` runs it, read ahead of it: compose's hash of
 * each service's configuration, as `config --hash` gives it and a plain up labels a container
 * (`hashes`) and as a container the rollout started carries it (`rolled`: rollout-plan.ts's
 * rolledConfigHashes; empty where it could not be read); each service's dependencies.
 */
export interface ReleaseConfig {
  hashes: Record<string, string>;
  rolled: Record<string, string>;
  dependencies: Record<string, string[]>;
}

/** The project's containers as read before an `up` of `release`, with its ReleaseConfig. */
interface StackReading extends ReleaseConfig {
  release: string;
  containers: ProjectContainer[];
}

/** What `up` of a release did: started plainly (nothing running to replace), rolled out, or nothing. */
export type UpOutcome =
  | { kind: "up" }
  | { kind: "rollout"; services: string[] }
  /** Nothing to do: every container of the `services` the compose file starts already ran the release. */
  | { kind: "unchanged"; services: number };

export class Rollout {
  private readonly exec: Executor;
  private readonly project: ComposeProject;
  private readonly options: Required<RolloutOptions>;

  constructor(exec: Executor, project: ComposeProject, options: RolloutOptions = {}) {
    this.exec = exec;
    this.project = project;
    this.options = { waitSeconds: options.waitSeconds ?? UP_WAIT_SECONDS, pollMs: options.pollMs ?? POLL_MS };
  }

  private say(line: string): void {
    this.exec.out.info(line);
  }

  async containers(): Promise<ProjectContainer[]> {
    const listed = await this.exec.run(docker.listComposeContainers(this.project.name), { show: "none" });
    return parseContainers(listed.stdout);
  }

  /**
   * The ReleaseConfig of `release`: compose's `config --hash` and, at the same time, its `config
   * --format json`, from which the dependencies are read and the rolled hashes read back.
   */
  async releaseConfig(release: string): Promise<ReleaseConfig> {
    const [hashes, json] = await Promise.all([
      this.exec
        .run(composeCommands.configHashes(this.project, release, ["*"]), { show: "none" })
        .then((result) => parseConfigHashes(result.stdout)),
      this.exec.run(composeCommands.servicesJson(this.project, release), { show: "none" }).then((r) => r.stdout),
    ]);
    const readBack = await this.readBackHashes(json);
    return { hashes, rolled: rolledConfigHashes(hashes, readBack), dependencies: dependenciesOf(json) };
  }

  /**
   * The hashes of the project read back from its JSON with rolled copies (withRolledCopies).
   * Any failure: none, so that nothing counts as rolled (the JSON holds the environment's secrets:
   * no output of this command is shown or put in an error).
   */
  private async readBackHashes(configJson: string): Promise<Record<string, string>> {
    try {
      const readBack = await this.exec.attempt(composeCommands.configHashesOfStdin(this.project), {
        input: Readable.from([withRolledCopies(configJson, ROLLING_SERVICES)]),
        show: "none",
      });
      return readBack.code === 0 ? parseConfigHashes(readBack.stdout) : {};
    } catch {
      return {};
    }
  }

  /**
   * The services of `release` that run containers of another configuration or image (`plan`), with
   * what that was read from (`stack`). Three reads at once (the containers, the ReleaseConfig, the
   * release's image IDs).
   */
  private async read(
    release: string,
    images: Readonly<Record<string, string>>,
    config: Promise<ReleaseConfig> = this.releaseConfig(release),
  ) {
    const [containers, configNow, imageIds] = await Promise.all([
      this.containers(),
      config,
      this.imageIds(ROLLING_SERVICES.map((service) => images[service])),
    ]);
    const desired: Record<string, DesiredService> = {};
    for (const [index, service] of ROLLING_SERVICES.entries()) {
      const imageId = imageIds[index] ?? "";
      const configHash = configNow.hashes[service];
      // Not in the compose file (a smaller stack), or no image to compare: compose up decides.
      if (configHash && imageId)
        desired[service] = { configHash, rolledConfigHash: configNow.rolled[service], imageId };
    }
    const plan = planRollout(containers, desired, Object.keys(desired));
    const stack: StackReading = { ...configNow, release, containers };
    return { stack, plan };
  }

  /** The ID each reference names now ("" for one the engine lacks, or none given): one docker call when all are there. */
  private async imageIds(refs: readonly (string | undefined)[]): Promise<string[]> {
    const given = refs.filter((ref): ref is string => ref !== undefined);
    const all = given.length > 0 ? await this.exec.attempt(docker.inspectImages(given), { show: "none" }) : undefined;
    const ids = all?.code === 0 ? all.stdout.trim().split("\n") : undefined;
    let next = 0;
    return await Promise.all(
      refs.map(async (ref) => {
        if (ref === undefined) return "";
        const known = ids?.[next++]?.trim();
        if (known) return known;
        const one = await this.exec.attempt(docker.inspectImages([ref]), { show: "none" });
        return one.code === 0 ? one.stdout.trim() : "";
      }),
    );
  }

  /**
   * Whether compose up would change nothing (rollout-plan.ts's stackCurrency), read from the
   * engine: each container's state, health and image reference, and the ID each reference names now.
   */
  private async currency(
    containers: readonly ProjectContainer[],
    hashes: Readonly<Record<string, string>>,
    rolled: Readonly<Record<string, string>>,
    services: readonly string[] = Object.keys(hashes),
  ) {
    if (containers.length === 0) return { current: false as const, why: "nothing runs" };
    // A container gone since the list (an ops session ending) is not in the output: it no longer counts.
    const inspected = await this.exec.attempt(docker.containerStates(containers.map((c) => c.id)), { show: "none" });
    const states = parseContainerStates(inspected.stdout);
    const present = containers.filter((container) => states.has(container.id));
    const refs = [...new Set([...states.values()].filter((state) => !state.oneOff).map((state) => state.imageRef))];
    const ids = await this.imageIds(refs);
    const imageIds = new Map(refs.map((ref, index) => [ref, ids[index] ?? ""]));
    const oneShots = [MIGRATE_SERVICE, DATABASE_ROLE_SERVICE];
    return stackCurrency(present, states, hashes, imageIds, oneShots, services, rolled);
  }

  /**
   * Brings `release` up: plain `compose up --wait` when no stateless service runs another
   * configuration (a first deploy, a redeploy), else the start-first rollout of those services.
   * With `skipWhenCurrent` (no migration to run) and every container already the release's,
   * running and healthy, not even that: compose up would change nothing but remove the one-shots'
   * exited containers, which are removed here instead.
   * `images`: the reference each service of the release runs (what compose's `image:` resolves to).
   */
  async up(
    release: string,
    images: Readonly<Record<string, string>>,
    plainUp: () => Promise<void>,
    options: { skipWhenCurrent?: boolean; config?: Promise<ReleaseConfig> } = {},
  ): Promise<UpOutcome> {
    const { stack, plan } = await this.read(release, images, options.config);
    const { containers, hashes, rolled } = stack;
    if (plan.length === 0) {
      if (options.skipWhenCurrent) {
        const currency = await this.currency(containers, hashes, rolled);
        if (currency.current) {
          const leftovers = currency.leftovers.map((container) => container.id);
          if (leftovers.length > 0) await this.exec.run(docker.removeContainers(leftovers), { show: "none" });
          return { kind: "unchanged", services: Object.keys(hashes).length };
        }
        this.say(`compose up needed: ${currency.why}`);
      }
      // Containers a rollout started are the release's, but a plain up would recreate them (stop
      // first): everything around them is brought up instead, and a rolling service that has no
      // running container is started on its own.
      const rolledNow = rolledContainers(containers, rolled);
      if (rolledNow.length === 0) {
        await plainUp();
        return { kind: "up" };
      }
      const rolling = ROLLING_SERVICES.filter((service) => service in hashes);
      const missing = rolling.filter(
        (service) => !containers.some((container) => container.service === service && container.state === "running"),
      );
      this.say(
        `${rolledNow.map((c) => c.name).join(", ")} already run ${release} (started by a rollout): kept; compose up of the services around them`,
      );
      await this.aroundRolling(stack, rolling, async () => {
        if (missing.length > 0) await this.exec.run(composeCommands.upAlone(this.project, release, missing));
      });
      return { kind: "up" };
    }
    const rolling = plan.map((step) => step.service);
    await this.aroundRolling(stack, rolling, () => this.replace(release, plan));
    return { kind: "rollout", services: rolling };
  }

  /**
   * `change` (the rollout of `rolling`) with every other service brought up around it: those that
   * do not depend on a rolling service first (the database, the proxy, the monitoring...), their
   * health checks waited for after `change`, which runs meanwhile; not at all when they already
   * run as configured, healthy (two compose ups that change nothing). Those that depend on a
   * rolling service last, without their dependencies (up would recreate a container the rollout
   * started: see rolledContainers).
   */
  private async aroundRolling(
    stack: StackReading,
    rolling: readonly string[],
    change: () => Promise<void>,
  ): Promise<void> {
    const { release, containers, hashes, rolled } = stack;
    const { before, after } = servicesAround(stack.dependencies, rolling, [MIGRATE_SERVICE, DATABASE_ROLE_SERVICE]);
    const upBefore = before.length > 0 && !(await this.currency(containers, hashes, rolled, before)).current;
    if (upBefore) await this.exec.run(composeCommands.upSome(this.project, release, before, false));
    await change();
    if (upBefore) await this.exec.run(composeCommands.upSome(this.project, release, before));
    if (after.length > 0) await this.exec.run(composeCommands.upAlone(this.project, release, after));
  }

  /**
   * New containers next to the old ones, all healthy, then the old ones drained and removed. With
   * a running proxy that routes a rolling service, the proxy is told which containers to use
   * (proxy-routes.ts): pinned to the running ones before any new one starts (its Caddyfile's DNS
   * lookup would otherwise find a new container as soon as it starts), switched to only the new
   * ones once they are healthy, and only then are the old ones stopped.
   */
  private async replace(release: string, plan: readonly ServiceRollout[]): Promise<void> {
    const before = await this.containers();
    const existing = new Set(before.map((container) => container.id));
    const rolling = plan.map((step) => step.service);
    const old = plan.flatMap((step) => step.old);
    const oldIds = new Set(old.map((container) => container.id));
    let proxy: PinnedProxy | undefined;
    try {
      proxy = await this.pinProxy(before, rolling);
    } catch (error) {
      const what = error instanceof Error ? error.message : String(error);
      throw new RolloutFailed(
        `start-first rollout of ${release} stopped before any container started: ${what}; the running containers still serve`,
      );
    }
    this.say(`Starting the new containers of ${rolling.join(", ")} next to the running ones...`);
    let next: ProjectContainer[] = [];
    let switched = false;
    try {
      // One compose command per service, at once: in one command compose would start web only
      // once the new api is healthy (web depends on it), which costs a health check's time.
      // All settled before a failure is handled, so no container starts after the clean-up below.
      const starts = await Promise.allSettled(
        plan.map((step) => this.exec.run(composeCommands.scaleUp(this.project, release, [step]))),
      );
      const failedStart = starts.find((start) => start.status === "rejected");
      if (failedStart) throw failedStart.reason;
      // What serves once the old ones are gone: the new containers, and a current one an
      // interrupted rollout left running. Each must be healthy before it is routed to.
      next = (await this.containers()).filter(
        (container) =>
          rolling.includes(container.service) &&
          !oldIds.has(container.id) &&
          (!existing.has(container.id) || container.state === "running"),
      );
      await this.waitHealthy(next);
      if (proxy) {
        const routes = routesOf(next, proxy.routed);
        switched = true;
        await this.reloadProxy(proxy, routes, `routing ${describeSwitch(routes, proxy.pinned)}`);
      }
    } catch (error) {
      // The proxy first: once it no longer names a new container, that container can go.
      let proxyNote = "";
      let proxyRestored = true;
      if (proxy && switched) {
        proxyRestored = await this.routeBack(proxy);
        if (proxyRestored) proxyNote = "the proxy routes to them again; ";
      }
      const fresh = (await this.containers()).filter(
        (container) => rolling.includes(container.service) && !existing.has(container.id),
      );
      if (fresh.length > 0) {
        await this.exec.attempt(
          docker.removeContainers(
            fresh.map((c) => c.id),
            true,
          ),
          { show: "none" },
        );
      }
      // Last resort, the new containers gone: the Caddyfile as on disk finds the old ones by DNS.
      if (proxy && !proxyRestored && (await this.onDiskConfig(proxy)))
        proxyNote = "the proxy runs its own Caddyfile again; ";
      const what = error instanceof Error ? error.message : String(error);
      throw new RolloutFailed(
        `start-first rollout of ${release} stopped: ${what}; ${fresh.length > 0 ? `removed the new ${fresh.map((c) => c.name).join(", ")}; ` : ""}${proxyNote}the running containers were never stopped and still serve`,
      );
    }
    const started = next.filter((container) => !existing.has(container.id));
    this.say(
      `New containers healthy (${started.map((c) => c.name).join(", ") || "none started"}); draining ${old.map((c) => c.name).join(", ")}...`,
    );
    // Their own stop timeout (stop_grace_period): SIGTERM, in-flight requests finish, then exit.
    // Behind the proxy no new request reaches them now; the reload did not wait for those it had
    // sent them, which they answer before they exit.
    await this.exec.run(docker.stopContainers(old.map((c) => c.id)), { show: "none" });
    await this.exec.run(docker.removeContainers(old.map((c) => c.id)), { show: "none" });
  }

  /**
   * With a running proxy that routes one of the rolling services: its Caddyfile, and the proxy
   * reloaded with those services pinned to their running containers. Undefined (nothing done)
   * without a proxy (a smaller stack, or a proxy not running) or when it routes none of them.
   */
  private async pinProxy(
    containers: readonly ProjectContainer[],
    rolling: readonly string[],
  ): Promise<PinnedProxy | undefined> {
    const container = containers.find((c) => c.service === PROXY_SERVICE && c.state === "running");
    if (!container) return undefined;
    const caddyfile = (await this.exec.run(docker.readProxyCaddyfile(container.id, PROXY_CADDYFILE), { show: "none" }))
      .stdout;
    const routed = proxiedServices(caddyfile)
      .map((entry) => entry.service)
      .filter((service) => rolling.includes(service));
    if (routed.length === 0) return undefined;
    const pinned = pinnedRoutes(
      containers.filter((c) => c.state === "running"),
      routed,
    );
    if (Object.keys(pinned).length === 0) return undefined; // nothing routed runs: nothing to protect
    const proxy: PinnedProxy = { id: container.id, name: container.name, caddyfile, routed, pinned };
    this.say(`Proxy: pinning ${describeRoutes(pinned)} while the new containers start...`);
    // The proxy may have been (re)started just before (compose up of the services around): its
    // admin API listens a moment after the container starts.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.reloadProxy(proxy, pinned);
        return proxy;
      } catch (error) {
        if (attempt >= PROXY_PIN_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, this.options.pollMs));
      }
    }
  }

  /** Loads the Caddyfile with `routes` into the proxy; throws if Caddy refuses it (it keeps the previous one). */
  private async reloadProxy(
    proxy: PinnedProxy,
    routes: Readonly<Record<string, readonly string[]>>,
    doing?: string,
  ): Promise<void> {
    if (doing) this.say(`Proxy: ${doing}...`);
    const names = [...new Set(Object.values(routes).flat())];
    const inspected =
      names.length > 0
        ? (await this.exec.run(docker.containerNetworks([proxy.name, ...names]), { show: "none" })).stdout
        : "";
    const text = renderProxyRoutes(proxy.caddyfile, routesByAddress(inspected, proxy.name, routes));
    await this.exec.run(docker.reloadProxy(proxy.id), {
      input: Readable.from([text]),
      show: "none",
      timeoutMs: PROXY_RELOAD_TIMEOUT_MS,
    });
  }

  /** After a failed switch: the proxy back on the old containers. A failure is said, not thrown. */
  private async routeBack(proxy: PinnedProxy): Promise<boolean> {
    try {
      await this.reloadProxy(proxy, proxy.pinned, `routing ${describeRoutes(proxy.pinned)} again`);
      return true;
    } catch (error) {
      this.say(`Proxy: could not route back to the old containers (${errorText(error)})`);
      return false;
    }
  }

  /** The proxy on its Caddyfile as it started with it (Docker DNS). A failure is said, not thrown. */
  private async onDiskConfig(proxy: PinnedProxy): Promise<boolean> {
    try {
      await this.reloadProxy(proxy, {}, "back on its own Caddyfile (Docker DNS)");
      return true;
    } catch (error) {
      this.say(
        `Proxy: could not reload its own Caddyfile either (${errorText(error)}); restart it: lh-ci stack compose <stack> -- restart proxy`,
      );
      return false;
    }
  }

  /** Waits until every container is healthy; throws naming the first that fails or is late. */
  private async waitHealthy(containers: readonly ProjectContainer[]): Promise<void> {
    const deadline = Date.now() + this.options.waitSeconds * 1000;
    const pending = new Map(containers.map((container) => [container.id, container]));
    while (pending.size > 0) {
      for (const [id, container] of pending) {
        const read = await this.exec.attempt(docker.containerHealth(id), { show: "none" });
        const state = readiness(read.code === 0 ? read.stdout : "gone");
        if (state.ready) pending.delete(id);
        else if (state.failed) throw new Error(`the new container ${container.name} failed: ${state.failed}`);
      }
      if (pending.size === 0) return;
      if (Date.now() > deadline) {
        const late = [...pending.values()].map((c) => c.name).join(", ");
        throw new Error(`${late} not healthy within ${this.options.waitSeconds} s`);
      }
      await new Promise((resolve) => setTimeout(resolve, this.options.pollMs));
    }
  }
}
