/**
 * The steps of `lh-ci deploy` on the engine: each one or a few operations of the Stack. Their order
 * and failure policy live in deploy-flow.ts.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { addCounts } from "./counts.ts";
import type { DatabaseChanges, DeploySteps, LedgerEntry, StepDetail } from "./deploy-flow.ts";
import { AFTER_LOCK_SERVICES, IMAGE_SERVICES, RUN_SERVICES, tarballName } from "./images.ts";
import { describeShipment, type ShipmentResult } from "./layer-shipment.ts";
import { type DigestRefs, describePull, type PullResult, type RegistryLogin, registryHost } from "./registry-images.ts";
import { imagesToPrune } from "./retention.ts";
import type { Stack } from "./stack.ts";
import { verifyRelease } from "./verify-release.ts";

export interface DeployPlan {
  release: string;
  /** A folder of `<service>.tar` image tarballs; without it the images must be on the engine. */
  imagesDir?: string;
  /** Registry mode: every image by digest, pulled by the engine (instead of imagesDir). */
  registry?: { refs: DigestRefs; login: RegistryLogin | undefined };
  /** The configuration check; returns its one-line outcome. */
  checkConfig(): string;
  /** `lh-ci verify`'s deadline inside the stack, e.g. 120s. */
  verifyTimeout: string;
  /**
   * The browser check beside the in-stack verify (of the release, and of a rollback's target):
   * `enabled` false for --no-browser; `dir` gets `<release>/report.json` and `screenshot.png`.
   */
  browser: { enabled: boolean; dir: string };
  /** Why the lock is taken (shown to anyone who finds it held). */
  reason: string;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class ToolkitDeploySteps implements DeploySteps {
  private readonly stack: Stack;
  private readonly plan: DeployPlan;
  /** What shipping the ops image (before the lock) sent; the load step reports both shipments. */
  private opsShipment: ShipmentResult | undefined;
  private opsPull: PullResult | undefined;

  constructor(stack: Stack, plan: DeployPlan) {
    this.stack = stack;
    this.plan = plan;
  }

  private get release(): string {
    return this.plan.release;
  }

  async checkConfig(): Promise<StepDetail> {
    return this.plan.checkConfig();
  }

  /** Every image of the release is there to load, or already on the engine: checked before the lock. */
  async images(): Promise<StepDetail> {
    const { imagesDir, registry } = this.plan;
    if (registry) {
      const hosts = [...new Set(Object.values(registry.refs).map(registryHost))].join(", ");
      return `${IMAGE_SERVICES.length} images by digest from ${hosts}${registry.login ? "" : " (no login: a public registry)"}`;
    }
    if (imagesDir) {
      const missing = IMAGE_SERVICES.map((service) => join(imagesDir, tarballName(service))).filter((path) => {
        try {
          return !statSync(path).isFile();
        } catch {
          return true;
        }
      });
      if (missing.length > 0) {
        throw new Error(`--images: missing ${missing.join(", ")}; the folder needs one <service>.tar per image`);
      }
      return `${IMAGE_SERVICES.length} image tarballs in ${imagesDir}`;
    }
    const missing = await this.stack.missingImages(this.release);
    if (missing.length > 0) {
      throw new Error(`not on the engine: ${missing.join(", ")}; build them there, or pass --images DIR of tarballs`);
    }
    return `${IMAGE_SERVICES.length} images of ${this.release} already on the engine`;
  }

  /**
   * The ops image goes to the engine first: the lock is an lh-ci command run in it, in the one ops
   * container (session) that every in-stack step of this deploy uses until unlock.
   */
  async lock(): Promise<StepDetail> {
    const { imagesDir, registry } = this.plan;
    if (registry) this.opsPull = await this.stack.pullImages(registry.refs, this.release, ["ops"], registry.login);
    if (imagesDir) this.opsShipment = await this.stack.loadImages(imagesDir, this.release, ["ops"]);
    return await this.stack.lockInSession(this.release, this.release, this.plan.reason);
  }

  async load(): Promise<StepDetail> {
    const done: string[] = [];
    const { registry } = this.plan;
    if (registry) {
      const apps = await this.stack.pullImages(registry.refs, this.release, AFTER_LOCK_SERVICES, registry.login);
      done.push(`images of ${this.release} ${describePull(addCounts(apps, this.opsPull))}`);
    } else if (this.plan.imagesDir) {
      const apps = await this.stack.loadImages(this.plan.imagesDir, this.release, AFTER_LOCK_SERVICES);
      done.push(`images of ${this.release} shipped, ${describeShipment(addCounts(apps, this.opsShipment))}`);
    } else {
      done.push("images already on the engine");
    }
    if (this.stack.settings.sync) {
      done.push(
        (await this.stack.projectUpToDate(this.release))
          ? `project files on the engine's host already up to date (${this.stack.settings.projectDir})`
          : await this.stack.syncProject(this.release),
      );
    }
    // The project files are in place: up's reading of the compose project overlaps the steps before it.
    this.stack.readReleaseConfigAhead(this.release);
    return done.join(", ");
  }

  async databaseRole(): Promise<StepDetail> {
    return await this.stack.ensureAppRole(this.release);
  }

  async changes(): Promise<DatabaseChanges> {
    const current = await this.currentRelease();
    const applied = await this.stack.migrationsApplied(this.release);
    const verified = current === this.release;
    const detail = !verified
      ? `new release (the verified one is ${current ?? "none yet"}), ${applied ? "every migration of it applied already" : "migrations pending"}`
      : applied
        ? "none: already the verified release, every migration applied"
        : "the release is verified, but migrations are pending";
    return { unchanged: verified && applied, migrationsPending: !applied, detail };
  }

  async backup(): Promise<StepDetail> {
    const name = await this.stack.backup(this.release);
    try {
      await this.stack.pruneBackups(this.release);
    } catch (error) {
      return `${name} (pruning old backups failed: ${errorText(error)})`;
    }
    return name;
  }

  async migrationsCheck(allowDestructive: boolean): Promise<StepDetail> {
    return await this.stack.migrationsCheck(this.release, allowDestructive);
  }

  async migrate(): Promise<StepDetail> {
    await this.stack.migrate(this.release);
    return "migrate service exited 0";
  }

  async up(release: string, options: { withoutMigrate?: boolean } = {}): Promise<StepDetail> {
    const outcome = await this.stack.up(release, options);
    if (outcome.kind === "unchanged") {
      return `nothing to change: all ${outcome.services} services already run ${release} as configured, healthy (compose up not needed; migrate not run again: none pending)`;
    }
    if (outcome.kind === "rollout") {
      return `start-first rollout of ${outcome.services.join(", ")} (${release}): new containers healthy, old ones drained`;
    }
    return `compose up --wait (${release})${options.withoutMigrate ? ", migrate not run: none pending" : ""}`;
  }

  /** In-stack verify and, at the same time, the browser check with this deploy's browser check image. */
  async verify(release: string): Promise<StepDetail> {
    return await verifyRelease(this.stack, release, {
      timeout: this.plan.verifyTimeout,
      browser: { ...this.plan.browser, checker: this.release },
    });
  }

  async currentRelease(): Promise<string | undefined> {
    return await this.stack.ledgerRelease(this.release, "current");
  }

  async previousRelease(): Promise<string | undefined> {
    return await this.stack.ledgerRelease(this.release, "previous");
  }

  async rollback(to: string): Promise<StepDetail> {
    // What the target runs; its page is looked at with this deploy's browser check image.
    const missing = await this.stack.missingImages(to, RUN_SERVICES);
    if (missing.length > 0) throw new Error(`the images of ${to} are gone from the engine: ${missing.join(", ")}`);
    await this.stack.up(to);
    const verified = await this.verify(to);
    return `${to} is up and verified: ${verified}`;
  }

  async record(entry: LedgerEntry): Promise<StepDetail> {
    return await this.stack.record(this.release, entry);
  }

  /** Removes the images of releases older than the last five of the ledger (never the running one). */
  async prune(): Promise<StepDetail> {
    const [present, ledger] = await Promise.all([this.stack.presentImages(), this.stack.ledgerCommits(this.release)]);
    const stale = imagesToPrune(present, ledger, this.release, this.stack.settings.project.imagePrefix);
    if (stale.length === 0) return "nothing to prune";
    await this.stack.removeImages(stale);
    return `removed ${stale.length} images of older releases`;
  }

  async unlock(): Promise<StepDetail> {
    return await this.stack.unlockAndCloseSession(this.release);
  }
}
