/**
 * Lawyers Hub delivery pipeline: every step of the staging delivery process as a Dagger function.
 *
 * The module only orchestrates: it builds containers, wires services, secrets and the Docker
 * target, and runs `docker compose` and `lh-ci` (the tested toolkit in ci/) inside containers.
 * The one piece of logic it owns, the order of a deploy and what happens when a step fails, is in
 * deploy-flow.ts.
 */
import {
  argument,
  type Container,
  check,
  type Directory,
  dag,
  type File,
  func,
  type GitRef,
  object,
  type Secret,
  type Socket,
} from "@dagger.io/dagger";
import { type DeployReport, formatReport, runDeploy } from "../../ci/src/stack/deploy-flow.ts";
import { resolveRelease } from "../../ci/src/stack/release-name.ts";
import { ledgerCommits } from "../../ci/src/stack/retention.ts";
import { runRollback } from "../../ci/src/stack/rollback-flow.ts";
import {
  DEFAULT_PROJECT_DIR,
  dockerfileOf,
  ENV_FILE_PATH,
  IMAGE_SERVICES,
  type ImageService,
  lhCi,
  npm,
  opsRun,
  prismaMigrateDeploy,
} from "./commands.ts";
import { DaggerDeploySteps, recordRelease } from "./deploy-steps.ts";
import type { Environment } from "./environment.ts";
import { type SecretOverrides, Stack } from "./stack.ts";
import { describeTarget, publicHost, type TargetOptions } from "./target.ts";
import { nodeBase, testContainer } from "./toolchain.ts";

/** The published ports of the stack (compose/docker-compose.staging.yml defaults). */
const PUBLIC_PORTS = [
  ["web", 3000],
  ["api", 4000],
  ["grafana", 3001],
] as const;

/**
 * The Lawyers Hub delivery pipeline: checks, images, deploy, migrations, verification, backup,
 * restore and rollback of an environment, on a Docker engine chosen by --docker-socket,
 * --docker-host (SSH) or neither (an ephemeral engine inside Dagger).
 */
@object()
export class LawyersHub {
  source: Directory;
  git: GitRef;
  release?: string;
  dockerSocket?: Socket;
  dockerHost?: string;
  sshKey?: Secret;
  sshKnownHosts?: Secret;
  envFile?: Secret;
  databaseUrl?: Secret;
  redisPassword?: Secret;
  clerkSecretKey?: Secret;
  stripeSecretKey?: Secret;
  openaiApiKey?: Secret;
  projectDir: string;
  imagePrefix: string;
  operator: string;

  /**
   * @param source the repository (default: the root of the git checkout holding dagger.json)
   * @param git the checkout's HEAD: its commit is the release (the image tag)
   * @param release override the release name (default: the HEAD commit SHA)
   * @param dockerSocket the target is the Docker engine behind this socket, e.g. /var/run/docker.sock
   * @param dockerHost the target is a remote Docker engine over SSH, e.g. ssh://deploy@staging.example
   * @param sshKey private key for --docker-host, e.g. file://$HOME/.ssh/id_ed25519 or env://STAGING_SSH_KEY
   * @param sshKnownHosts known_hosts lines of the SSH host, e.g. env://STAGING_SSH_KNOWN_HOSTS or file://./known_hosts (without them its key is accepted on first use)
   * @param envFile the environment's configuration as an env file, e.g. file://.env.staging or env://STAGING_ENV_FILE
   * @param databaseUrl DATABASE_URL, overriding the env file (e.g. env://DATABASE_URL from a GitHub secret)
   * @param redisPassword REDIS_PASSWORD, overriding the env file
   * @param clerkSecretKey CLERK_SECRET_KEY, overriding the env file
   * @param stripeSecretKey STRIPE_SECRET_KEY, overriding the env file
   * @param openaiApiKey OPENAI_API_KEY, overriding the env file
   * @param projectDir where the compose project lives on the Docker host
   * @param imagePrefix image names are <prefix>/<service>:<release>
   * @param operator who deploys, for the lock and the release ledger, e.g. github:octocat
   */
  constructor(
    @argument({
      defaultPath: "/",
      ignore: [
        "**/node_modules",
        "**/.env",
        "**/.env.*",
        "!**/.env.*.example",
        "backups",
        ".lh-state",
        ".tools",
        ".vitest-report",
        "dagger/sdk",
        "**/dist",
        "**/build",
        "**/coverage",
        "**/*.tsbuildinfo",
        ".git",
      ],
    })
    source: Directory,
    @argument({ defaultPath: "/" }) git: GitRef,
    release?: string,
    dockerSocket?: Socket,
    dockerHost?: string,
    sshKey?: Secret,
    sshKnownHosts?: Secret,
    envFile?: Secret,
    databaseUrl?: Secret,
    redisPassword?: Secret,
    clerkSecretKey?: Secret,
    stripeSecretKey?: Secret,
    openaiApiKey?: Secret,
    projectDir: string = DEFAULT_PROJECT_DIR,
    imagePrefix: string = "lawyers-hub",
    operator: string = "dagger",
  ) {
    this.source = source;
    this.git = git;
    this.release = release;
    this.dockerSocket = dockerSocket;
    this.dockerHost = dockerHost;
    this.sshKey = sshKey;
    this.sshKnownHosts = sshKnownHosts;
    this.envFile = envFile;
    this.databaseUrl = databaseUrl;
    this.redisPassword = redisPassword;
    this.clerkSecretKey = clerkSecretKey;
    this.stripeSecretKey = stripeSecretKey;
    this.openaiApiKey = openaiApiKey;
    this.projectDir = projectDir;
    this.imagePrefix = imagePrefix;
    this.operator = operator;
  }

  /**
   * Lint the repository with Biome.
   *
   *   dagger call lint
   */
  @func()
  @check()
  async lint(): Promise<void> {
    await nodeBase(this.source)
      .withExec([...npm.lint])
      .sync();
  }

  /**
   * Typecheck every workspace and this module (tsc, strict).
   *
   *   dagger call typecheck
   */
  @func()
  @check()
  async typecheck(): Promise<void> {
    await nodeBase(this.source)
      .withExec([...npm.typecheck])
      .sync();
  }

  /**
   * Run the whole test suite against PostgreSQL 15 and Redis 7 services (promtool, amtool and
   * shellcheck included). Debug with: dagger call test-env terminal
   *
   *   dagger call test
   */
  @func()
  @check()
  async test(): Promise<void> {
    await this.testEnv()
      .withExec([...npm.test])
      .sync();
  }

  /**
   * The test container before the tests run: the source, its dependencies, the tools, and
   * PostgreSQL and Redis bound as services (postgres:5432, redis:6379).
   *
   *   dagger call test-env terminal
   */
  @func()
  testEnv(): Container {
    return testContainer(this.source);
  }

  /**
   * The image of one service (api, web, ai-gateway, worker, or ops: the lh-ci toolkit with the
   * PostgreSQL 15 client), labelled with the release.
   *
   *   dagger call build --service api terminal
   *   dagger call build --service api export-image --name lawyers-hub/api:dev
   */
  @func()
  async build(service: string): Promise<Container> {
    if (!(IMAGE_SERVICES as readonly string[]).includes(service)) {
      throw new Error(`--service: "${service}" is not one of ${IMAGE_SERVICES.join(", ")}`);
    }
    return this.image(service as ImageService, await this.releaseName());
  }

  /**
   * Build all four service images and the ops image in parallel, labelled with the release.
   *
   *   dagger call images
   */
  @func()
  async images(): Promise<Container[]> {
    const built = await this.buildAll(await this.releaseName());
    return IMAGE_SERVICES.map((service) => built[service]);
  }

  /**
   * Deploy the checkout to an environment: config check, checks, images, lock, load, backup,
   * migrations check, migrate, compose up --wait, lh-ci verify, ledger; a failed verify rolls back
   * to the previous verified release. Prints a report; fails when the deploy failed.
   *
   *   dagger call deploy --env staging
   *   dagger call --docker-host ssh://deploy@staging.example --ssh-key file://$HOME/.ssh/id_ed25519 deploy --env staging
   *
   * @param env the environment
   * @param skipChecks skip lint, typecheck and tests (a redeploy of a known commit)
   * @param allowDestructiveMigrations let migrations that drop or rewrite data through
   * @param noRollback leave a release that failed verification running (for inspection)
   */
  @func({ cache: "never" })
  async deploy(
    env: Environment,
    skipChecks: boolean = false,
    allowDestructiveMigrations: boolean = false,
    noRollback: boolean = false,
  ): Promise<string> {
    const release = await this.releaseName();
    const stack = await this.stack(env, release);
    const steps = new DaggerDeploySteps({
      stack,
      release,
      checkConfig: () => this.checkConfig(env),
      checks: async () => {
        await Promise.all([this.lint(), this.typecheck(), this.test()]);
      },
      buildImages: async () => {
        const built = await this.buildAll(release);
        await Promise.all(IMAGE_SERVICES.map((service) => built[service].sync()));
        return built;
      },
    });
    const report = await runDeploy(steps, { release, skipChecks, allowDestructiveMigrations, noRollback });
    return this.finish(report, `deploy to ${env} on ${describeTarget(this.target())}`);
  }

  /**
   * Apply pending Prisma migrations of the checkout (lock held; refuses destructive ones unless
   * allowed), without deploying the apps.
   *
   *   dagger call migrate --env staging
   */
  @func({ cache: "never" })
  async migrate(env: Environment, allowDestructiveMigrations: boolean = false): Promise<string> {
    await this.checkConfig(env);
    const release = await this.releaseName();
    const stack = await this.stack(env, release);
    await stack.loadImages({ ops: this.image("ops", release), api: this.image("api", release) });
    return await stack.withLock(release, "dagger call migrate", async () => {
      const check = await stack.lhCi(lhCi.migrationsCheck(env, allowDestructiveMigrations));
      const applied = await stack.run(stack.compose("run", "--rm", "-T", "migrate", ...prismaMigrateDeploy));
      return `${check}\n${applied}`;
    });
  }

  /**
   * Verify the running environment: API and web health, PostgreSQL, Redis, migrations applied.
   *
   *   dagger call verify --env staging
   */
  @func({ cache: "never" })
  async verify(env: Environment): Promise<string> {
    await this.checkConfig(env);
    const stack = await this.opsReady(env);
    return await stack.lhCi(lhCi.verify(env));
  }

  /**
   * Back up the environment's database; returns the dump, named lawyers_hub_<env>_<UTC time>.sql.
   * A copy stays in the target's backups volume (pruned after 7 days).
   *
   *   dagger call backup --env staging export --path backups/staging/lawyers_hub_staging_20261125T101500Z.sql
   */
  @func({ cache: "never" })
  async backup(env: Environment): Promise<File> {
    const files = await this.backupFiles(env);
    const name = (await files.entries()).find((entry) => !entry.endsWith(".json"));
    if (!name) throw new Error("the backup directory holds no dump; see the output of lh-ci backup above");
    return files.file(name);
  }

  /**
   * Back up the environment's database; returns a directory with the dump and its .json sidecar.
   *
   *   dagger call backup-files --env staging export --path backups/staging
   */
  @func({ cache: "never" })
  async backupFiles(env: Environment): Promise<Directory> {
    await this.checkConfig(env);
    const stack = await this.opsReady(env);
    const name = await stack.backup();
    return await stack.fetchBackup(name).sync();
  }

  /**
   * Restore a backup into the environment's database (lock held; lh-ci restore checks the
   * sidecar, refuses another environment's backup, and backs up the current state first).
   *
   *   dagger call restore --env staging --file backups/staging/X.sql --sidecar backups/staging/X.sql.json
   *
   * @param file the dump, as written by backup
   * @param sidecar its .json sidecar
   */
  @func({ cache: "never" })
  async restore(env: Environment, file: File, sidecar?: File): Promise<string> {
    await this.checkConfig(env);
    const stack = await this.opsReady(env);
    const name = await file.name();
    let upload = dag.directory().withFile(name, file);
    if (sidecar) upload = upload.withFile(`${name}.json`, sidecar);
    const release = await this.releaseName();
    return await stack.withLock(release, `dagger call restore ${name}`, async () => {
      const stored = await stack.storeBackup(upload, name, Boolean(sidecar));
      return await stack.lhCi(lhCi.restore(env, stored));
    });
  }

  /**
   * Roll back to the previous verified release (or --to a commit whose images are on the target),
   * verify it, and record it in the ledger. The database schema is left as it is.
   *
   *   dagger call rollback --env staging
   *   dagger call rollback --env staging --to 3f2c1e9
   *
   * @param to the commit to go back to (default: lh-ci releases previous)
   */
  @func({ cache: "never" })
  async rollback(env: Environment, to?: string): Promise<string> {
    await this.checkConfig(env);
    const stack = await this.opsReady(env);
    const target = to
      ? resolveRelease(to, ledgerCommits(await stack.lhCi(lhCi.releasesListJson(env), false)))
      : undefined;
    const report = await runRollback(
      {
        lock: () => stack.acquireLock(stack.options.release, `dagger call rollback${target ? ` --to ${target}` : ""}`),
        unlock: () => stack.releaseLock(),
        currentRelease: () => stack.ledgerRelease("current"),
        previousRelease: () => stack.ledgerRelease("previous"),
        up: (release) => stack.up(release),
        verify: (release) => stack.lhCi(lhCi.verify(env), true, release),
        record: (entry) => recordRelease(stack, entry),
      },
      { ...(target ? { to: target } : {}) },
    );
    return this.finish(report, `rollback of ${env}`);
  }

  /**
   * The release ledger of an environment, newest first.
   *
   *   dagger call releases --env staging
   */
  @func({ cache: "never" })
  async releases(env: Environment): Promise<string> {
    const stack = await this.opsReady(env);
    return await stack.lhCi(lhCi.releasesList(env), false);
  }

  /**
   * Who holds the environment's deploy lock, and until when.
   *
   *   dagger call lock --env staging
   */
  @func({ cache: "never" })
  async lock(env: Environment): Promise<string> {
    const stack = await this.opsReady(env);
    return await stack.lhCi(lhCi.lockStatus(env), false);
  }

  /**
   * The last 300 log lines of the environment's services (or of one).
   *
   *   dagger call logs --env staging --service api
   *
   * @param service one compose service, e.g. api, web, worker, postgres
   */
  @func({ cache: "never" })
  async logs(env: Environment, service?: string): Promise<string> {
    const stack = await this.stack(env, await this.releaseName());
    return await stack.run(
      stack.compose("logs", "--no-color", "--timestamps", "--tail", "300", ...(service ? [service] : [])),
    );
  }

  /**
   * The environment's containers (compose ps), the release running and the deploy lock.
   *
   *   dagger call status --env staging
   */
  @func({ cache: "never" })
  async status(env: Environment): Promise<string> {
    const stack = await this.opsReady(env);
    const [ps, current, lock] = await Promise.all([
      stack.run(stack.compose("ps", "--all")),
      stack.ledgerRelease("current"),
      stack.lhCi(lhCi.lockStatus(env), false),
    ]);
    return `${ps.trim()}\n\nrelease: ${current ?? "(no verified release in the ledger)"}\n${lock.trim()}\n`;
  }

  /**
   * A shell with the Docker CLI connected to the environment's target, the compose project in the
   * working directory, and `lh-ci` (run in the ops service of the stack).
   *
   *   dagger call toolbox --env staging terminal
   */
  @func({ cache: "never" })
  async toolbox(env: Environment): Promise<Container> {
    const stack = await this.opsReady(env);
    const wrapper = `#!/bin/sh\n# lh-ci inside the stack's network: the ops service of the compose project.\nexec ${opsRun(
      env,
      this.projectDir,
      [],
    )
      .map((word) => `'${word}'`)
      .join(" ")} "$@"\n`;
    return stack
      .client()
      .withNewFile("/usr/local/bin/lh-ci", wrapper, { permissions: 0o755 })
      .withDefaultTerminalCmd(["sh"]);
  }

  // ---- helpers (not functions) ----

  private target(): TargetOptions {
    return {
      ...(this.dockerSocket ? { dockerSocket: this.dockerSocket } : {}),
      ...(this.dockerHost ? { dockerHost: this.dockerHost } : {}),
      ...(this.sshKey ? { sshKey: this.sshKey } : {}),
      ...(this.sshKnownHosts ? { sshKnownHosts: this.sshKnownHosts } : {}),
    };
  }

  /** Secrets given one by one (GitHub secrets): they win over the env file in compose and lh-ci. */
  private overrides(): SecretOverrides {
    return {
      DATABASE_URL: this.databaseUrl,
      REDIS_PASSWORD: this.redisPassword,
      CLERK_SECRET_KEY: this.clerkSecretKey,
      STRIPE_SECRET_KEY: this.stripeSecretKey,
      OPENAI_API_KEY: this.openaiApiKey,
    };
  }

  private async releaseName(): Promise<string> {
    return this.release ?? (await this.git.commit());
  }

  private configuration(env: string): Secret {
    if (!this.envFile) {
      throw new Error(
        `the ${env} configuration is missing: pass --env-file file://.env.${env} (or env://NAME in CI), or set ENV_FILE=file://.env.${env} in the .env file next to dagger.json`,
      );
    }
    return this.envFile;
  }

  /** One image of the release, built from its Dockerfile with the repository as context. */
  private image(service: ImageService, release: string): Container {
    return this.source
      .dockerBuild({ dockerfile: dockerfileOf(service) })
      .withLabel("org.opencontainers.image.revision", release)
      .withLabel("org.opencontainers.image.title", `lawyers-hub-${service}`);
  }

  private async buildAll(release: string): Promise<Record<ImageService, Container>> {
    const entries = IMAGE_SERVICES.map((service) => [service, this.image(service, release)] as const);
    await Promise.all(entries.map(([, image]) => image.sync()));
    return Object.fromEntries(entries) as Record<ImageService, Container>;
  }

  /** `lh-ci env check` in the ops image, against the configuration: before anything else runs. */
  private async checkConfig(env: string): Promise<void> {
    let ops = this.image("ops", await this.releaseName()).withMountedSecret(ENV_FILE_PATH, this.configuration(env));
    for (const [name, secret] of Object.entries(this.overrides())) {
      if (secret) ops = ops.withSecretVariable(name, secret);
    }
    await ops
      .withEnvVariable("LH_RUN", String(Date.now()))
      .withExec(["lh-ci", ...lhCi.envCheck(env)])
      .sync();
  }

  private async stack(env: string, release: string): Promise<Stack> {
    return new Stack({
      env,
      target: this.target(),
      envFile: this.configuration(env),
      overrides: this.overrides(),
      projectFiles: dag
        .directory()
        .withDirectory("compose", this.source.directory("compose"))
        .withDirectory("monitoring", this.source.directory("monitoring")),
      projectDir: this.projectDir,
      imagePrefix: this.imagePrefix,
      release,
      operator: this.operator,
    });
  }

  /** A stack whose ops image (this checkout's toolkit) is on the target, for lh-ci commands. */
  private async opsReady(env: string): Promise<Stack> {
    const release = await this.releaseName();
    const stack = await this.stack(env, release);
    await stack.loadImages({ ops: this.image("ops", release) });
    return stack;
  }

  /** The report as the function's result, or as its error when the operation failed. */
  private finish(report: DeployReport, what: string): string {
    const host = publicHost(this.target());
    const urls = host ? PUBLIC_PORTS.map(([name, port]) => `${name}: http://${host}:${port}`) : [];
    const text = `${what}\n${formatReport(report, urls)}`;
    if (!report.ok) throw new Error(text);
    return text;
  }
}
