/**
 * One environment's compose stack on the engine: every operation a deploy, a rollback or a stack
 * command performs, each a command line from docker.ts / compose.ts / ops.ts run by the executor.
 * No order and no failure policy here (that is deploy-flow.ts and rollback-flow.ts).
 */
import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { join } from "node:path";
import { Readable, type Writable } from "node:stream";
import { appRoleScript, describeAppRoleOutcome, readAppRoleOutcome } from "../roles/app-role-sql.ts";
import { type BrowserReport, MAX_REPORT_BYTES, parseBrowserReport } from "./browser-report.ts";
import * as composeCommands from "./compose.ts";
import * as docker from "./docker.ts";
import type { Executor, RunOptions, RunResult } from "./executor.ts";
import { readImageArchive } from "./image-archive.ts";
import {
  BROWSER_CHECK_SERVICE,
  IMAGE_SERVICES,
  type ImageService,
  imageRef,
  releaseImages,
  releaseOfImage,
  tarballName,
} from "./images.ts";
import { describeShipment, type ShipmentResult, shipImages } from "./layer-shipment.ts";
import { opsArgs, type RecordedRelease } from "./ops.ts";
import { OpsSession } from "./ops-session.ts";
import { projectDigest } from "./project-digest.ts";
import { type DigestRefs, describePull, type PullResult, pullByDigest, type RegistryLogin } from "./registry-images.ts";
import { ledgerCommits } from "./retention.ts";
import { type ReleaseConfig, Rollout, type UpOutcome } from "./rollout.ts";
import { PROJECT_FOLDERS, type StackSettings } from "./settings.ts";

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1)?.trim() ?? "";
}

/** A browser check that ran: its report, and its report folder to copy files from (a tar archive of one file). */
export interface BrowserCheckRun {
  report: BrowserReport;
  json: string;
  copyFile(name: string, to: Writable): Promise<void>;
}

/** Services whose containers do not tell which release runs: ops and the one-shots. */
const NOT_RELEASE_SERVICES = new Set(["ops", composeCommands.MIGRATE_SERVICE, composeCommands.DATABASE_ROLE_SERVICE]);

/** The ops session a deploy runs its in-stack steps in, for the ops image of one release. */
interface OpenSession {
  release: string;
  session: OpsSession;
  /** Set by the first command that needs them: the services ops depends on, up and healthy (once). */
  dependenciesUp?: Promise<void>;
}

export class Stack {
  readonly settings: StackSettings;
  readonly exec: Executor;
  #session: OpenSession | undefined;
  /** What `up` of a release needs of the compose project, read ahead of it (readReleaseConfigAhead). */
  readonly #releaseConfigs = new Map<string, Promise<ReleaseConfig>>();

  constructor(settings: StackSettings, exec: Executor) {
    this.settings = settings;
    this.exec = exec;
  }

  get env(): string {
    return this.settings.env;
  }

  private get project() {
    return this.settings.project;
  }

  private say(line: string): void {
    this.exec.out.info(line);
  }

  imageRef(service: ImageService, release: string): string {
    return imageRef(this.project.imagePrefix, service, release);
  }

  /** The references of a release's images that the engine does not have. */
  async missingImages(release: string, services: readonly ImageService[] = IMAGE_SERVICES): Promise<string[]> {
    const refs = services.map((service) => this.imageRef(service, release));
    // One call when all are there (the common case); one per image to name what is missing.
    if ((await this.exec.attempt(docker.inspectImages(refs), { show: "none" })).code === 0) return [];
    const missing: string[] = [];
    for (const service of services) {
      const ref = this.imageRef(service, release);
      const found = await this.exec.attempt(docker.inspectImages([ref]), { show: "none" });
      if (found.code !== 0) missing.push(ref);
    }
    return missing;
  }

  /**
   * Ships `<dir>/<service>.tar` of each service to the engine as `<prefix>/<service>:<release>`,
   * whatever name (or none, for an OCI archive) the tarball carries: only the layers the engine
   * lacks travel, each checked against its digest first (layer-shipment.ts).
   */
  async loadImages(dir: string, release: string, services: readonly ImageService[]): Promise<ShipmentResult> {
    const images = services.map((service) => ({
      ref: this.imageRef(service, release),
      archive: readImageArchive(join(dir, tarballName(service))),
    }));
    this.say(`Shipping ${images.map((image) => image.ref).join(", ")} from ${dir}...`);
    const result = await shipImages(this.exec, images, (line) => this.say(line));
    this.say(describeShipment(result));
    return result;
  }

  /**
   * Registry mode: the engine pulls the release's images by digest (only the layers it lacks
   * travel) and names them `<prefix>/<service>:<release>` too, for rollbacks and retention.
   */
  async pullImages(
    refs: DigestRefs,
    release: string,
    services: readonly ImageService[],
    login: RegistryLogin | undefined,
  ): Promise<PullResult> {
    const wanted = Object.fromEntries(services.map((service) => [service, refs[service]]));
    const tags = Object.fromEntries(services.map((service) => [service, this.imageRef(service, release)]));
    const result = await pullByDigest(this.exec, wanted, tags, login);
    this.say(describePull(result));
    return result;
  }

  /**
   * Copies compose/ and monitoring/ to the project directory on the engine's host (a throwaway
   * container of the release's ops image unpacks them there), replacing what was there.
   */
  async syncProject(release: string): Promise<string> {
    const { sourceDir, projectDir } = this.settings;
    this.say(`Copying ${PROJECT_FOLDERS.join(" and ")} to ${projectDir} on the engine's host...`);
    await this.exec.pipe(
      docker.packProject(sourceDir, PROJECT_FOLDERS),
      docker.unpackOnHost(this.imageRef("ops", release), projectDir),
    );
    return `project files copied to ${projectDir}`;
  }

  /**
   * Starts one ops container for `release` (`lh-ci session`): from now on every lh-ci command for
   * that release runs in it, until closeSession. Commands for another release (a rollback's
   * verify) still get a container of their own, with that release's toolkit and migrations.
   */
  openSession(release: string): void {
    if (this.#session) throw new Error(`an ops session for ${this.#session.release} is already open`);
    const label = `the ops session of ${this.project.name}`;
    const { sync, projectDir } = this.settings;
    const command = composeCommands.runOpsSession(this.project, release, this.env, sync ? projectDir : undefined);
    const session = OpsSession.open(this.exec, command, label);
    // Read-only questions to the engine, asked while the container starts.
    this.#session = { release, session };
  }

  async closeSession(): Promise<void> {
    const open = this.#session;
    this.#session = undefined;
    await open?.session.close();
  }

  /** `lh-ci ...` in the stack's network with the ops image of `release`; its exit code is the answer. */
  async attemptOps(
    release: string,
    args: readonly string[],
    deps = true,
    options: RunOptions = {},
  ): Promise<RunResult> {
    const open = this.#session;
    if (open?.session.ended !== undefined) {
      // A container killed under us must not take the rest of the deploy (the unlock) with it.
      this.exec.out.warn(`${open.session.label} ${open.session.ended}; going on with a container per command`);
      await this.closeSession();
    }
    if (open?.release !== release || open.session.ended !== undefined) {
      return await this.exec.attempt(composeCommands.runOps(this.project, release, args, deps), options);
    }
    if (deps) {
      open.dependenciesUp ??= this.missingOpsDependencies(release).then(async (missing) => {
        if (missing.length > 0) await this.startServices(release, missing);
      });
      await open.dependenciesUp;
    }
    return await open.session.run(args, options);
  }

  /**
   * Whether compose/ and monitoring/ on the engine's host already equal the local ones: asked of
   * the ops session, which sees the host's project directory. Any doubt (no session, an error, an
   * older ops image without the command) means no: deploy copies them.
   */
  async projectUpToDate(release: string): Promise<boolean> {
    if (this.#session?.release !== release || !this.settings.sync) return false;
    try {
      const local = projectDigest(this.settings.sourceDir, PROJECT_FOLDERS);
      const remote = await this.attemptOps(release, opsArgs.projectDigest(), false, { show: "none" });
      return remote.code === 0 && lastLine(remote.stdout) === local;
    } catch {
      return false;
    }
  }

  /** `docker compose run --rm ops lh-ci ...` (or the open session) with the ops image of `release`. */
  async ops(release: string, args: readonly string[], deps = true, options: RunOptions = {}): Promise<RunResult> {
    const result = await this.attemptOps(release, args, deps, options);
    if (result.code !== 0) throw this.opsFailed(release, args, deps, result);
    return result;
  }

  /** The error for an lh-ci command in the ops container that exited non-zero. */
  private opsFailed(release: string, args: readonly string[], deps: boolean, result: RunResult) {
    const open = this.#session;
    const words = args
      .filter((arg) => !arg.startsWith("-"))
      .slice(0, 2)
      .join(" ");
    const label =
      open?.release === release
        ? `lh-ci ${words} (in ${open.session.label})`
        : this.exec.describe(composeCommands.runOps(this.project, release, args, deps));
    return this.exec.failed(label, `exited with ${result.code}`, result.code, result.stderr);
  }

  /**
   * What `compose run ops` would start before it runs a command: the services ops depends on that
   * are not running and healthy. Two quick reads of the engine.
   */
  async missingOpsDependencies(release: string): Promise<string[]> {
    const [config, ps] = await Promise.all([
      this.exec.run(composeCommands.configJson(this.project, release), { show: "none" }),
      this.exec.run(composeCommands.ps(this.project, release, true), { show: "none" }),
    ]);
    const healthy = new Set(healthyServices(ps.stdout));
    return opsDependencies(config.stdout).filter((service) => !healthy.has(service));
  }

  private async startServices(release: string, services: readonly string[]): Promise<void> {
    this.say(`Starting ${services.join(", ")} (the ops container needs them)...`);
    await this.exec.run(composeCommands.upServices(this.project, release, services));
  }

  /**
   * Whether every migration of `release` is applied to the database (`lh-ci migrations status`).
   * Asked without starting anything: a database that is down answers no (exit 1), and the
   * backup that follows starts it.
   */
  async migrationsApplied(release: string): Promise<boolean> {
    const args = opsArgs.migrationsStatus(this.env);
    const result = await this.attemptOps(release, args, false, { show: "none" });
    if (result.code === 0) return true;
    if (result.code === 1) return false;
    throw this.opsFailed(release, args, true, result);
  }

  /** The last line of `lh-ci releases current|previous`, undefined when the ledger has none. */
  async ledgerRelease(release: string, which: "current" | "previous"): Promise<string | undefined> {
    const args = which === "current" ? opsArgs.releasesCurrent(this.env) : opsArgs.releasesPrevious(this.env);
    const result = await this.attemptOps(release, args, false, { show: "none" });
    if (result.code === 0) return lastLine(result.stdout);
    if (result.code === 1 && /no verified release|nothing to roll back to/.test(result.stderr)) return undefined;
    throw this.opsFailed(release, args, false, result);
  }

  /** Every commit of the ledger, newest first. */
  async ledgerCommits(release: string): Promise<string[]> {
    const result = await this.ops(release, opsArgs.releasesListJson(this.env), false, { quietStdout: true });
    return ledgerCommits(result.stdout);
  }

  async acquireLock(release: string, commit: string, reason: string): Promise<string> {
    const args = opsArgs.lockAcquire(this.env, this.settings.operator, commit, reason);
    return lastLine((await this.ops(release, args, false)).stdout);
  }

  async releaseLock(release: string): Promise<string> {
    return lastLine((await this.ops(release, opsArgs.lockRelease(this.env, this.settings.operator), false)).stdout);
  }

  /** Opens the ops session of `release` and takes the lock in it; a refused lock closes it again. */
  async lockInSession(release: string, commit: string, reason: string): Promise<string> {
    this.openSession(release);
    try {
      return await this.acquireLock(release, commit, reason);
    } catch (error) {
      await this.closeSession();
      throw error;
    }
  }

  /** Releases the lock, then closes the session (in every outcome). */
  async unlockAndCloseSession(release: string): Promise<string> {
    try {
      return await this.releaseLock(release);
    } finally {
      await this.closeSession();
    }
  }

  /** Holds the lock around an operation, releasing it in every outcome. */
  async withLock<T>(release: string, reason: string, operation: () => Promise<T>): Promise<T> {
    await this.acquireLock(release, release, reason);
    try {
      return await operation();
    } finally {
      await this.releaseLock(release);
    }
  }

  /** `lh-ci backup` into the backups volume, in the stack's network; returns the file's name. */
  async backup(release: string): Promise<string> {
    const path = lastLine((await this.ops(release, opsArgs.backup(this.env))).stdout);
    const name = path.split("/").at(-1) ?? "";
    if (!name) throw new Error(`lh-ci backup printed no backup path (got "${path}")`);
    return name;
  }

  async pruneBackups(release: string): Promise<void> {
    await this.ops(release, opsArgs.backupPrune(this.env));
  }

  async migrationsCheck(release: string, allowDestructive: boolean): Promise<string> {
    return lastLine((await this.ops(release, opsArgs.migrationsCheck(this.env, allowDestructive))).stdout);
  }

  /**
   * Gives the database to the application role (DATABASE_URL's user): created if missing, made
   * owner of the database, its schemas and every object the superuser owns there (a stack from
   * before the role). As the superuser, by psql inside the postgres container; started first.
   */
  async ensureAppRole(release: string): Promise<string> {
    const database = this.settings.database;
    if (!database) {
      throw new Error("the database role step needs DATABASE_URL and POSTGRES_USER in the configuration");
    }
    // A running, healthy database (every deploy but the first) is used as it is: two docker
    // calls instead of two compose commands, which each load the whole project first.
    const healthy = await this.exec.run(docker.healthyServiceContainers(this.project.name, "postgres"), {
      show: "none",
    });
    const [running] = healthy.stdout.split("\n").filter((id) => id.trim() !== "");
    if (!running)
      await this.exec.run(composeCommands.upServices(this.project, release, ["postgres"]), { show: "none" });
    const result = await this.exec.run(
      running
        ? docker.execPsql(running.trim(), database.superuser, database.name)
        : composeCommands.execPsql(this.project, release, database.superuser, database.name),
      { input: Readable.from([appRoleScript(database.appRole, database.name)]), show: "none" },
    );
    return describeAppRoleOutcome(database.appRole.name, database.name, readAppRoleOutcome(result.stdout));
  }

  /** The one-shot migrate service of the release. */
  async migrate(release: string): Promise<void> {
    await this.exec.run(composeCommands.runMigrate(this.project, release));
  }

  /**
   * Starts reading what `up` of `release` needs of the compose project (rollout.ts's ReleaseConfig:
   * compose's configuration hashes and dependencies, some 0.5-1 s of compose loading the project
   * each). Only once the project files are where up reads them: they depend on those and on the
   * environment's configuration, which nothing changes later.
   */
  readReleaseConfigAhead(release: string): void {
    const config = new Rollout(this.exec, this.project).releaseConfig(release);
    config.catch(() => undefined); // up awaits it and reports a failure; none is unhandled meanwhile
    this.#releaseConfigs.set(release, config);
  }

  /**
   * Brings a release up and waits for every health check: `docker compose up --wait` when no
   * stateless service runs another configuration, else their start-first rollout (rollout.ts),
   * in which no old container stops before the new ones are healthy; `withoutMigrate` and every
   * container already the release's, healthy: nothing (compose up would change nothing).
   */
  async up(release: string, options: { withoutMigrate?: boolean } = {}): Promise<UpOutcome> {
    const pinned = this.project.pinned;
    const images = pinned?.release === release ? pinned.refs : releaseImages(this.project.imagePrefix, release);
    // No migration to run (a redeploy): when every container is the release's already, up is not run.
    const outcome = await new Rollout(this.exec, this.project).up(
      release,
      images,
      async () => {
        await this.exec.run(composeCommands.up(this.project, release, options));
      },
      { skipWhenCurrent: options.withoutMigrate === true, config: this.#releaseConfigs.get(release) },
    );
    this.#releaseConfigs.delete(release);
    // Every service is up and healthy now, those ops depends on included.
    if (this.#session?.release === release) this.#session.dependenciesUp = Promise.resolve();
    return outcome;
  }

  async verify(release: string, timeout = "120s", options: RunOptions = {}): Promise<RunResult> {
    return await this.ops(release, opsArgs.verify(this.env, timeout), true, options);
  }

  /** The browser check's image of `checker` (by digest when that release was pulled by digest). */
  browserCheckImage(checker: string): string {
    const pinned = this.project.pinned;
    return pinned?.release === checker
      ? pinned.refs[BROWSER_CHECK_SERVICE]
      : this.imageRef(BROWSER_CHECK_SERVICE, checker);
  }

  /**
   * `docker compose run browser-check` against the running release, with the browser check image
   * of `checker`: its report (exit 0 passed, 1 failed: both report), as printed and checked, given
   * to `use` with a way to copy a file of its report folder out of the exited container, which is
   * removed once `use` is done. Any other exit, or no report, throws naming the command and its stderr.
   */
  async browserCheck<T>(release: string, checker: string, use: (check: BrowserCheckRun) => Promise<T>): Promise<T> {
    const image = this.browserCheckImage(checker);
    if ((await this.exec.attempt(docker.inspectImages([image]), { show: "none" })).code !== 0) {
      throw new Error(
        `the browser check image ${image} is not on the engine; deploy a release that has one, or pass --no-browser (the release is then not looked at in a browser)`,
      );
    }
    const container = `${this.project.name}-browser-check-${randomBytes(6).toString("hex")}`;
    const command = composeCommands.runBrowserCheck(this.project, release, image, container);
    try {
      const result = await this.exec.attempt(command, {
        quietStdout: true,
        timeoutMs: composeCommands.BROWSER_CHECK_TIMEOUT_MS,
      });
      const label = this.exec.describe(command);
      if (result.code !== 0 && result.code !== 1) {
        throw this.exec.failed(label, `exited with ${result.code}, without a verdict`, result.code, result.stderr);
      }
      const json = result.stdout.trim();
      if (Buffer.byteLength(json) > MAX_REPORT_BYTES) {
        throw this.exec.failed(label, `printed more than ${MAX_REPORT_BYTES} bytes: not a report`, result.code, "");
      }
      if (json === "")
        throw this.exec.failed(label, `exited with ${result.code} and printed no report`, result.code, result.stderr);
      const report = parseBrowserReport(json, `printed by ${label}`);
      return await use({
        report,
        json,
        copyFile: async (name, to) => {
          await this.exec.run(docker.copyOut(container, `${composeCommands.BROWSER_CHECK_DIR}/${name}`), {
            stdoutTo: to,
            show: "none",
            timeoutMs: composeCommands.BROWSER_CHECK_TIMEOUT_MS,
          });
        },
      });
    } finally {
      await this.exec.attempt(docker.removeContainers([container], true), { show: "none" });
    }
  }

  async record(release: string, entry: RecordedRelease): Promise<string> {
    // Registry mode records what ran: the references by digest.
    const pinned = this.project.pinned;
    const images =
      pinned?.release === entry.commit ? pinned.refs : releaseImages(this.project.imagePrefix, entry.commit);
    const args = opsArgs.releasesRecord(this.env, entry, images, this.settings.operator);
    return lastLine((await this.ops(release, args, false)).stdout);
  }

  /** The references of our images present on the engine. */
  async presentImages(): Promise<string[]> {
    const result = await this.exec.run(docker.listImages(this.project.imagePrefix), { show: "none" });
    return result.stdout.split("\n").filter((line) => line.trim() !== "");
  }

  /**
   * Removes these tags, and the references by digest of their images (registry mode pulled them
   * by digest): a tag alone would leave an image that is still named by its digest on the disk.
   */
  async removeImages(refs: readonly string[]): Promise<void> {
    const digests = await this.exec.attempt(docker.imageDigests(refs), { show: "none" });
    const named = digests.stdout
      .split("\n")
      .filter((line) => line.trim().startsWith("["))
      .flatMap((line) => (JSON.parse(line) as string[] | null) ?? []);
    await this.exec.run(docker.removeImages([...refs, ...new Set(named)]), { show: "none" });
  }

  /**
   * The release the project's containers run (the image tag of its app services), if any. A
   * container started by digest (registry mode; the engine may show it by image ID) is named by
   * the tag lh-ci gave that image.
   */
  async runningRelease(): Promise<string | undefined> {
    const result = await this.exec.run(docker.listProjectContainers(this.project.name), { show: "none" });
    const containers = result.stdout
      .split("\n")
      .map((line) => line.split("\t"))
      .filter(([service, image]) => !NOT_RELEASE_SERVICES.has(service ?? "") && image);
    for (const [, image = "", , imageId = ""] of containers) {
      // By digest (shown without it) or by ID: the release is in the tag lh-ci gave the image.
      const release = releaseOfImage(this.project.imagePrefix, image) ?? (await this.releaseOfDigest(imageId || image));
      if (release) return release;
    }
    return undefined;
  }

  /** The release of an image named by digest or ID, from the `<prefix>/<service>:<release>` tag it got. */
  private async releaseOfDigest(ref: string): Promise<string | undefined> {
    const found = await this.exec.attempt(docker.imageTags(ref), { show: "none" });
    if (found.code !== 0) return undefined;
    const tags = (JSON.parse(found.stdout.trim() || "[]") as string[] | null) ?? [];
    return tags.map((tag) => releaseOfImage(this.project.imagePrefix, tag)).find((release) => release !== undefined);
  }

  /** Copies a file of the backups volume to a local stream. */
  async readBackupFile(release: string, name: string, to: Writable): Promise<void> {
    await this.exec.run(composeCommands.readBackupFile(this.project, release, name), { stdoutTo: to, show: "none" });
  }

  /** Copies a local file into the backups volume. */
  async writeBackupFile(release: string, localPath: string, name: string): Promise<void> {
    await this.exec.run(composeCommands.writeBackupFile(this.project, release, name), {
      input: createReadStream(localPath),
    });
  }
}

/** The services the ops service depends on, from `compose config --format json`. */
export function opsDependencies(configJson: string): string[] {
  const config = JSON.parse(configJson) as { services?: Record<string, { depends_on?: Record<string, unknown> }> };
  return Object.keys(config.services?.ops?.depends_on ?? {});
}

/** Services with a running container that is healthy (or has no health check), from `compose ps --format json`. */
export function healthyServices(psJson: string): string[] {
  const text = psJson.trim();
  if (text === "") return [];
  // One object per line (compose 2.21 and later), or one array (earlier).
  const rows = (text.startsWith("[") ? JSON.parse(text) : text.split("\n").map((line) => JSON.parse(line))) as {
    Service?: string;
    State?: string;
    Health?: string;
  }[];
  return rows
    .filter(
      (row) => row.State === "running" && (row.Health === "" || row.Health === undefined || row.Health === "healthy"),
    )
    .map((row) => row.Service ?? "");
}
