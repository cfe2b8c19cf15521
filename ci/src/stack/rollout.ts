/**
 * A release replaces the running one start-first (docker-rollout's order, Swarm's
 * `order: start-first`): for each stateless service whose configuration or image changed, compose
 * starts one new container next to the old one; once every new container is healthy the old ones
 * get SIGTERM (they stop accepting, finish what is in flight within stop_grace_period, exit) and
 * are removed. A new container that fails is removed and no old one is ever stopped. The proxy
 * finds containers by Docker DNS, so traffic follows without any reconfiguration.
 * Decisions are rollout-plan.ts's; this file only runs them on the engine.
 */
import * as composeCommands from "./compose.ts";
import { type ComposeProject, DATABASE_ROLE_SERVICE, MIGRATE_SERVICE, UP_WAIT_SECONDS } from "./compose.ts";
import * as docker from "./docker.ts";
import type { Executor } from "./executor.ts";
import {
  type DesiredService,
  type ProjectContainer,
  parseConfigHashes,
  parseContainers,
  planRollout,
  ROLLING_SERVICES,
  readiness,
  type ServiceRollout,
  servicesAround,
} from "./rollout-plan.ts";

/** A rollout that stopped before any old container was: what failed, and that the old release still serves. */
export class RolloutFailed extends Error {
  override name = "RolloutFailed";
}

/** How often a new container's state is read while it starts. */
const POLL_MS = 1_000;

export interface RolloutOptions {
  /** How long a new container may take to become healthy (default: compose up's own wait). */
  waitSeconds?: number;
  /** Between two reads of the new containers' health (tests shorten it). */
  pollMs?: number;
}

/** What `up` of a release did: started plainly (nothing running to replace), or rolled out. */
export type UpOutcome = { kind: "up" } | { kind: "rollout"; services: string[] };

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
   * The services of `release` that run containers of another configuration or image. Three reads
   * at once (the containers, compose's hashes, the release's image IDs): a redeploy pays one.
   */
  async plan(release: string, images: Readonly<Record<string, string>>): Promise<ServiceRollout[]> {
    const [containers, hashes, imageIds] = await Promise.all([
      this.containers(),
      this.exec
        .run(composeCommands.configHashes(this.project, release, ["*"]), { show: "none" })
        .then((result) => parseConfigHashes(result.stdout)),
      Promise.all(
        ROLLING_SERVICES.map(async (service) => {
          const ref = images[service];
          const found = ref ? await this.exec.attempt(docker.inspectImages([ref]), { show: "none" }) : undefined;
          return [service, found?.code === 0 ? found.stdout.trim() : ""] as const;
        }),
      ),
    ]);
    const desired: Record<string, DesiredService> = {};
    for (const [service, imageId] of imageIds) {
      const configHash = hashes[service];
      // Not in the compose file (a smaller stack), or no image to compare: compose up decides.
      if (configHash && imageId) desired[service] = { configHash, imageId };
    }
    return planRollout(containers, desired, Object.keys(desired));
  }

  /** Each service's dependencies, from the project's configuration (no profile: what up starts). */
  private async dependencies(release: string): Promise<Record<string, string[]>> {
    const config = JSON.parse(
      (await this.exec.run(composeCommands.servicesJson(this.project, release), { show: "none" })).stdout,
    ) as { services?: Record<string, { depends_on?: Record<string, unknown> }> };
    return Object.fromEntries(
      Object.entries(config.services ?? {}).map(([name, service]) => [name, Object.keys(service.depends_on ?? {})]),
    );
  }

  /**
   * Brings `release` up: plain `compose up --wait` when no stateless service runs another
   * configuration (a first deploy, a redeploy), else the start-first rollout of those services.
   * `images`: the reference each service of the release runs (what compose's `image:` resolves to).
   */
  async up(
    release: string,
    images: Readonly<Record<string, string>>,
    plainUp: () => Promise<void>,
  ): Promise<UpOutcome> {
    const plan = await this.plan(release, images);
    if (plan.length === 0) {
      await plainUp();
      return { kind: "up" };
    }
    const rolling = plan.map((step) => step.service);
    const { before, after } = servicesAround(await this.dependencies(release), rolling, [
      MIGRATE_SERVICE,
      DATABASE_ROLE_SERVICE,
    ]);
    // Everything else first (the database, the proxy, the monitoring...), the rolling services
    // untouched; their health checks are waited for after the rollout, which runs meanwhile.
    if (before.length > 0) await this.exec.run(composeCommands.upSome(this.project, release, before, false));
    await this.replace(release, plan);
    if (before.length > 0) await this.exec.run(composeCommands.upSome(this.project, release, before));
    if (after.length > 0) await this.exec.run(composeCommands.upSome(this.project, release, after));
    return { kind: "rollout", services: rolling };
  }

  /** New containers next to the old ones, all healthy, then the old ones drained and removed. */
  private async replace(release: string, plan: readonly ServiceRollout[]): Promise<void> {
    const existing = new Set((await this.containers()).map((container) => container.id));
    const rolling = plan.map((step) => step.service);
    this.say(`Starting the new containers of ${rolling.join(", ")} next to the running ones...`);
    let started: ProjectContainer[] = [];
    try {
      // One compose command per service, at once: in one command compose would start web only
      // once the new api is healthy (web depends on it), which costs a health check's time.
      // All settled before a failure is handled, so no container starts after the clean-up below.
      const starts = await Promise.allSettled(
        plan.map((step) => this.exec.run(composeCommands.scaleUp(this.project, release, [step]))),
      );
      const failedStart = starts.find((start) => start.status === "rejected");
      if (failedStart) throw failedStart.reason;
      started = (await this.containers()).filter(
        (container) => rolling.includes(container.service) && !existing.has(container.id),
      );
      await this.waitHealthy(started);
    } catch (error) {
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
      const what = error instanceof Error ? error.message : String(error);
      throw new RolloutFailed(
        `start-first rollout of ${release} stopped: ${what}; ${fresh.length > 0 ? `removed the new ${fresh.map((c) => c.name).join(", ")}; ` : ""}the running containers were never stopped and still serve`,
      );
    }
    const old = plan.flatMap((step) => step.old);
    this.say(
      `New containers healthy (${started.map((c) => c.name).join(", ")}); draining ${old.map((c) => c.name).join(", ")}...`,
    );
    // Their own stop timeout (stop_grace_period): SIGTERM, in-flight requests finish, then exit.
    await this.exec.run(docker.stopContainers(old.map((c) => c.id)), { show: "none" });
    await this.exec.run(docker.removeContainers(old.map((c) => c.id)), { show: "none" });
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
