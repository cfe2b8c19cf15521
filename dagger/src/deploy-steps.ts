/**
 * The steps of `deploy` as Dagger runs them: each one a container, a `docker compose` command or
 * an `lh-ci` command on the target. Their order and failure policy live in deploy-flow.ts.
 */
import type { Container } from "@dagger.io/dagger";
import type { DeploySteps, LedgerEntry, StepDetail } from "../../ci/src/stack/deploy-flow.ts";
import { imagesToPrune, ledgerCommits } from "../../ci/src/stack/retention.ts";
import { IMAGE_SERVICES, type ImageService, lhCi, prismaMigrateDeploy } from "./commands.ts";
import type { Stack } from "./stack.ts";

export interface DeployContext {
  stack: Stack;
  release: string;
  /** `lh-ci env check` on the configuration, before anything else. */
  checkConfig(): Promise<void>;
  /** lint, typecheck and the test suite, in parallel. */
  checks(): Promise<void>;
  /** Every image of the release, built (in parallel) and labelled with the commit. */
  buildImages(): Promise<Record<ImageService, Container>>;
}

function lastLine(text: string): string | undefined {
  return text.trim().split("\n").at(-1)?.trim() || undefined;
}

export class DaggerDeploySteps implements DeploySteps {
  private readonly context: DeployContext;
  private builtImages?: Record<ImageService, Container>;

  constructor(context: DeployContext) {
    this.context = context;
  }

  private get stack(): Stack {
    return this.context.stack;
  }

  private get env(): string {
    return this.stack.env;
  }

  private built(): Record<ImageService, Container> {
    if (!this.builtImages) throw new Error("the images step has not run");
    return this.builtImages;
  }

  async checkConfig(): Promise<StepDetail> {
    await this.context.checkConfig();
    return "lh-ci env check passed";
  }

  async checks(): Promise<StepDetail> {
    await this.context.checks();
    return "lint, typecheck, tests";
  }

  async images(): Promise<StepDetail> {
    this.builtImages = await this.context.buildImages();
    return IMAGE_SERVICES.map((service) => this.stack.imageRef(service, this.context.release)).join(", ");
  }

  /** The ops image goes to the target first: the lock is an lh-ci command run in it. */
  async lock(): Promise<StepDetail> {
    await this.stack.loadImages({ ops: this.built().ops });
    return lastLine(await this.stack.acquireLock(this.context.release, "dagger call deploy"));
  }

  async load(): Promise<StepDetail> {
    const { ops: _ops, ...apps } = this.built();
    await this.stack.loadImages(apps);
    await this.stack.syncProject();
    return `images of ${this.context.release} loaded, project synced to ${this.stack.options.projectDir}`;
  }

  async backup(): Promise<StepDetail> {
    const name = await this.stack.backup();
    try {
      await this.stack.lhCi(lhCi.backupPrune(this.env));
    } catch (error) {
      return `${name} (pruning old backups failed: ${error instanceof Error ? error.message : String(error)})`;
    }
    return name;
  }

  async migrationsCheck(allowDestructive: boolean): Promise<StepDetail> {
    return lastLine(await this.stack.lhCi(lhCi.migrationsCheck(this.env, allowDestructive)));
  }

  async migrate(): Promise<StepDetail> {
    await this.stack.run(this.stack.compose("run", "--rm", "-T", "migrate", ...prismaMigrateDeploy));
    return "prisma migrate deploy";
  }

  async up(release: string): Promise<StepDetail> {
    await this.stack.up(release);
    return `compose up --wait (${release})`;
  }

  async verify(release: string): Promise<StepDetail> {
    return lastLine(await this.stack.lhCi(lhCi.verify(this.env), true, release));
  }

  async currentRelease(): Promise<string | undefined> {
    return await this.stack.ledgerRelease("current");
  }

  async previousRelease(): Promise<string | undefined> {
    return await this.stack.ledgerRelease("previous");
  }

  async rollback(to: string): Promise<StepDetail> {
    await this.stack.up(to);
    await this.stack.lhCi(lhCi.verify(this.env), true, to);
    return `${to} is up and verified`;
  }

  async record(entry: LedgerEntry): Promise<StepDetail> {
    return lastLine(await recordRelease(this.stack, entry));
  }

  async prune(): Promise<StepDetail> {
    const [present, ledger] = await Promise.all([
      this.stack.presentImages(),
      this.stack.lhCi(lhCi.releasesListJson(this.env), false),
    ]);
    const stale = imagesToPrune(present, ledgerCommits(ledger), this.context.release, this.stack.options.imagePrefix);
    if (stale.length === 0) return "nothing to prune";
    await this.stack.run(["docker", "image", "rm", ...stale]);
    return `removed ${stale.length} images of older releases`;
  }

  async unlock(): Promise<StepDetail> {
    return lastLine(await this.stack.releaseLock());
  }
}

/** `lh-ci releases record` with the release's image references. */
export async function recordRelease(stack: Stack, entry: LedgerEntry): Promise<string> {
  const images = Object.fromEntries(IMAGE_SERVICES.map((service) => [service, stack.imageRef(service, entry.commit)]));
  return await stack.lhCi(lhCi.releasesRecord(stack.env, entry, images, stack.options.operator), false);
}
