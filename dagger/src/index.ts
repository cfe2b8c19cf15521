/**
 * Lawyers Hub delivery pipeline: every step of the staging delivery process as a Dagger function.
 *
 * The module only wires: the checks and the image builds are Dagger containers; everything that
 * touches the target's Docker engine is one `lh-ci` command (the tested toolkit in ci/) run in
 * the deployer container (deployer.ts), with the target, the image tarballs and the secrets
 * wired in. The order of a deploy and its failure policy live in the toolkit (`lh-ci deploy`).
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
import {
  BACKUP_OUT_DIR,
  BROWSER_REPORT_DIR,
  DEFAULT_PROJECT_DIR,
  IMAGE_SERVICES,
  type ImageService,
  lhCi,
  RESTORE_IN_DIR,
  type TargetScope,
} from "./commands.ts";
import { deployer, runLhCi, type SecretOverrides, withConfiguration } from "./deployer.ts";
import type { Environment } from "./environment.ts";
import { type BuildInputs, buildAll, buildImage } from "./images.ts";
import { NODE_IMAGE } from "./images-ref.ts";
import { missingConfiguration, unknownService } from "./messages.ts";
import { checkRecipes } from "./recipes.ts";
import { publishAll, type RegistryOptions, withRegistryLogin } from "./registry.ts";
import { DEPLOYER_USER, deployHeadline, type TargetOptions } from "./target.ts";
import { checkContainer, runCheck } from "./toolchain.ts";

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
  nodeImage: string;

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
   * @param nodeImage the Node base image of every image and check container (a private mirror's copy of the pinned official one)
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
    nodeImage: string = NODE_IMAGE,
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
    this.nodeImage = nodeImage;
  }

  /**
   * Lint the repository with Biome.
   *
   *   dagger call lint
   *
   * @param extraCa extra CA certificates (PEM) that npm trusts while it installs, for a TLS-inspecting proxy
   */
  @func()
  @check()
  async lint(extraCa?: Secret): Promise<void> {
    await runCheck(checkRecipes(this.nodeImage).lint, { source: this.source, extraCa }).sync();
  }

  /**
   * Typecheck every workspace and this module (tsc, strict).
   *
   *   dagger call typecheck
   *
   * @param extraCa extra CA certificates (PEM) that npm trusts while it installs, for a TLS-inspecting proxy
   */
  @func()
  @check()
  async typecheck(extraCa?: Secret): Promise<void> {
    await runCheck(checkRecipes(this.nodeImage).typecheck, { source: this.source, extraCa }).sync();
  }

  /**
   * Run the vitest suite (npm run test:vitest) against PostgreSQL 15 and Redis 7 services
   * (promtool, amtool and shellcheck included; no Docker engine). Debug with: dagger call test-env terminal
   *
   *   dagger call test
   *
   * @param extraCa extra CA certificates (PEM) that npm trusts while it installs, for a TLS-inspecting proxy
   */
  @func()
  @check()
  async test(extraCa?: Secret): Promise<void> {
    await runCheck(checkRecipes(this.nodeImage).test, { source: this.source, extraCa }).sync();
  }

  /**
   * The test container before the tests run: the source, its dependencies, the tools, and
   * PostgreSQL and Redis bound as services (postgres:5432, redis:6379).
   *
   *   dagger call test-env terminal
   *
   * @param extraCa extra CA certificates (PEM) that npm trusts while it installs, for a TLS-inspecting proxy
   */
  @func()
  testEnv(extraCa?: Secret): Container {
    return checkContainer(checkRecipes(this.nodeImage).test, { source: this.source, extraCa });
  }

  /**
   * The image of one service (api, web, ai-gateway, worker, browser-check: the one-shot that
   * looks at the web page in Chromium, or ops: the lh-ci toolkit with the PostgreSQL 15 client),
   * labelled with the release.
   *
   *   dagger call build --service api terminal
   *   dagger call build --service api --extra-ca file://corp-ca.pem export-image --name lawyers-hub/api:dev
   *
   * @param service api, web, ai-gateway, worker, browser-check or ops
   * @param extraCa extra CA certificates (PEM) that npm and apt trust during the build, for a TLS-inspecting proxy
   */
  @func()
  async build(service: string, extraCa?: Secret): Promise<Container> {
    if (!(IMAGE_SERVICES as readonly string[]).includes(service)) {
      throw new Error(unknownService(service, IMAGE_SERVICES));
    }
    return await buildImage(service as ImageService, await this.buildInputs(extraCa));
  }

  /**
   * Build all four service images, the browser check image and the ops image in parallel,
   * labelled with the release.
   *
   *   dagger call images
   *
   * @param extraCa extra CA certificates (PEM) that npm and apt trust during the builds
   */
  @func()
  async images(extraCa?: Secret): Promise<Container[]> {
    const built = await buildAll(await this.buildInputs(extraCa));
    return IMAGE_SERVICES.map((service) => built[service]);
  }

  /**
   * Deploy the checkout to an environment: config check, checks, images, then `lh-ci deploy` on
   * the target (lock, load, backup, migrations check, migrate, compose up --wait, verify with the
   * browser check, ledger, automatic rollback when verify fails, retention). Prints its report;
   * fails when the deploy failed.
   *
   *   dagger call deploy --env staging
   *   dagger call --docker-host ssh://deploy@staging.example --ssh-key file://$HOME/.ssh/id_ed25519 deploy --env staging
   *
   * @param env the environment
   * @param skipChecks skip lint, typecheck and tests (a redeploy of a known commit)
   * @param allowDestructiveMigrations let migrations that drop or rewrite data through
   * @param noRollback leave a release that failed verification running (for inspection)
   * @param noBrowser skip the browser check (emergencies only: the release is not looked at in a browser, and the report says so)
   * @param extraCa extra CA certificates (PEM) that npm and apt trust during the builds
   * @param registry registry mode: publish the images to this repository (e.g. ghcr.io/acme/lawyers-hub) and have the target pull them by digest; without it the target gets only the layers it lacks over the engine connection
   * @param registryUsername the registry login's user (e.g. the GitHub actor for GHCR)
   * @param registryPassword the registry login's password or token, e.g. env://GITHUB_TOKEN
   */
  @func({ cache: "never" })
  async deploy(
    env: Environment,
    skipChecks: boolean = false,
    allowDestructiveMigrations: boolean = false,
    noRollback: boolean = false,
    noBrowser: boolean = false,
    extraCa?: Secret,
    registry?: string,
    registryUsername?: string,
    registryPassword?: Secret,
  ): Promise<string> {
    const inputs = await this.buildInputs(extraCa);
    // The configuration first: a wrong env file fails in seconds, not after the test suite.
    const toolkit = await buildImage("ops", inputs);
    await runLhCi(withConfiguration(toolkit, this.configuration(env), this.overrides()), lhCi.envCheck(env));
    if (!skipChecks) await Promise.all([this.lint(extraCa), this.typecheck(extraCa), this.test(extraCa)]);
    const images = await buildAll(inputs);
    const login = registryLogin(registry, registryUsername, registryPassword);
    // Registry mode publishes and passes digests; registry-free mounts the tarballs for lh-ci.
    const imageRefs = login ? await publishAll(images, login, inputs.release) : undefined;
    const deployer = login
      ? withRegistryLogin(this.deployer(env, images.ops), login)
      : this.deployer(env, images.ops, images);
    const run = await runLhCi(
      deployer,
      lhCi.deploy(this.scope(env), {
        release: inputs.release,
        operator: this.operator,
        allowDestructiveMigrations,
        noRollback,
        noBrowser,
        ...(imageRefs ? { imageRefs } : {}),
      }),
    );
    const headline = deployHeadline(this.target(), env, inputs.release);
    // First and last line: where it went (a rehearsal on the built-in engine touched no environment).
    return `${headline}\n${run.stdout.trimEnd()}\n${headline}`;
  }

  /**
   * Apply pending Prisma migrations of the checkout's release on the target (its images must be
   * there: deployed or retained); refuses destructive ones unless allowed. Lock held by lh-ci.
   *
   *   dagger call migrate --env staging
   *
   * @param allowDestructiveMigrations let migrations that drop or rewrite data through
   * @param extraCa extra CA certificates (PEM) that npm and apt trust while the deployer's toolkit builds
   */
  @func({ cache: "never" })
  async migrate(env: Environment, allowDestructiveMigrations: boolean = false, extraCa?: Secret): Promise<string> {
    const release = await this.releaseName();
    return await this.lhCi(
      env,
      extraCa,
      lhCi.migrate(this.scope(env), this.operator, release, allowDestructiveMigrations),
    );
  }

  /**
   * Verify the running environment: API and web health, PostgreSQL, Redis, migrations applied,
   * then the browser check (Chromium loads the web page in the stack's network).
   *
   *   dagger call verify --env staging
   *
   * @param noBrowser skip the browser check (the output says loudly that the release was not looked at in a browser)
   * @param extraCa extra CA certificates (PEM) that npm and apt trust while the deployer's toolkit builds
   */
  @func({ cache: "never" })
  async verify(env: Environment, noBrowser: boolean = false, extraCa?: Secret): Promise<string> {
    return await this.lhCi(env, extraCa, lhCi.verify(this.scope(env), noBrowser));
  }

  /**
   * Verify the running environment as verify does; returns the browser check's files, a folder
   * per release: <release>/report.json and <release>/screenshot.png. Fails when verify fails.
   *
   *   dagger call verify-files --env staging export --path browser-check-reports
   *   dagger call verify-files --env staging file --path <release>/screenshot.png export --path screenshot.png
   *
   * @param extraCa extra CA certificates (PEM) that npm and apt trust while the deployer's toolkit builds
   */
  @func({ cache: "never" })
  async verifyFiles(env: Environment, extraCa?: Secret): Promise<Directory> {
    const run = await runLhCi(await this.deployerFor(env, extraCa), lhCi.verify(this.scope(env)));
    return await run.container.directory(BROWSER_REPORT_DIR).sync();
  }

  /**
   * Back up the environment's database; returns the dump, named lawyers_hub_<env>_<UTC time>.sql.
   * A copy stays in the target's backups volume.
   *
   *   dagger call backup --env staging export --path backups/staging/lawyers_hub_staging_20261125T101500Z.sql
   *
   * @param extraCa extra CA certificates (PEM) that npm and apt trust while the deployer's toolkit builds
   */
  @func({ cache: "never" })
  async backup(env: Environment, extraCa?: Secret): Promise<File> {
    const files = await this.backupFiles(env, extraCa);
    const name = (await files.entries()).find((entry) => !entry.endsWith(".json"));
    if (!name) throw new Error("lh-ci stack backup left no dump in its output folder; see its output above");
    return files.file(name);
  }

  /**
   * Back up the environment's database; returns a directory with the dump and its .json sidecar.
   *
   *   dagger call backup-files --env staging export --path backups/staging
   *
   * @param extraCa extra CA certificates (PEM) that npm and apt trust while the deployer's toolkit builds
   */
  @func({ cache: "never" })
  async backupFiles(env: Environment, extraCa?: Secret): Promise<Directory> {
    const run = await runLhCi(await this.deployerFor(env, extraCa), lhCi.backup(this.scope(env)));
    return await run.container.directory(BACKUP_OUT_DIR).sync();
  }

  /**
   * Restore a backup into the environment's database (lh-ci checks the sidecar, refuses another
   * environment's backup, and backs up the current state first; lock held).
   *
   *   dagger call restore --env staging --file backups/staging/X.sql --sidecar backups/staging/X.sql.json
   *
   * @param file the dump, as written by backup
   * @param sidecar its .json sidecar
   * @param extraCa extra CA certificates (PEM) that npm and apt trust while the deployer's toolkit builds
   * @param allowUnsigned DANGEROUS: restore a backup whose signature is not the environment's key's
   */
  @func({ cache: "never" })
  async restore(
    env: Environment,
    file: File,
    sidecar?: File,
    extraCa?: Secret,
    allowUnsigned = false,
  ): Promise<string> {
    const path = `${RESTORE_IN_DIR}/${await file.name()}`;
    let container = (await this.deployerFor(env, extraCa)).withMountedFile(path, file, { owner: DEPLOYER_USER });
    if (sidecar) container = container.withMountedFile(`${path}.json`, sidecar, { owner: DEPLOYER_USER });
    return (await runLhCi(container, lhCi.restore(this.scope(env), this.operator, path, allowUnsigned))).stdout;
  }

  /**
   * Roll back to the previous verified release (or --to a commit whose images are on the target),
   * verify it, and record it in the ledger. The database schema is left as it is.
   *
   *   dagger call rollback --env staging
   *   dagger call rollback --env staging --to 3f2c1e9
   *
   * @param to the commit to go back to (default: the verified release before the current one)
   * @param noBrowser skip the browser check of the target (the output says loudly that it was not looked at in a browser)
   * @param extraCa extra CA certificates (PEM) that npm and apt trust while the deployer's toolkit builds
   */
  @func({ cache: "never" })
  async rollback(env: Environment, to?: string, noBrowser: boolean = false, extraCa?: Secret): Promise<string> {
    return await this.lhCi(env, extraCa, lhCi.rollback(this.scope(env), this.operator, to, noBrowser));
  }

  /**
   * The release ledger of an environment, newest first.
   *
   *   dagger call releases --env staging
   *
   * @param extraCa extra CA certificates (PEM) that npm and apt trust while the deployer's toolkit builds
   */
  @func({ cache: "never" })
  async releases(env: Environment, extraCa?: Secret): Promise<string> {
    return await this.lhCi(env, extraCa, lhCi.releases(this.scope(env)));
  }

  /**
   * Who holds the environment's deploy lock, and until when.
   *
   *   dagger call lock --env staging
   *
   * @param extraCa extra CA certificates (PEM) that npm and apt trust while the deployer's toolkit builds
   */
  @func({ cache: "never" })
  async lock(env: Environment, extraCa?: Secret): Promise<string> {
    return await this.lhCi(env, extraCa, lhCi.lockStatus(this.scope(env)));
  }

  /**
   * The last 300 log lines of the environment's services (or of one).
   *
   *   dagger call logs --env staging --service api
   *
   * @param service one compose service, e.g. api, web, worker, postgres
   * @param extraCa extra CA certificates (PEM) that npm and apt trust while the deployer's toolkit builds
   */
  @func({ cache: "never" })
  async logs(env: Environment, service?: string, extraCa?: Secret): Promise<string> {
    return await this.lhCi(env, extraCa, lhCi.logs(this.scope(env), service));
  }

  /**
   * The environment's services, their images and health, the release running and the deploy lock.
   *
   *   dagger call status --env staging
   *
   * @param extraCa extra CA certificates (PEM) that npm and apt trust while the deployer's toolkit builds
   */
  @func({ cache: "never" })
  async status(env: Environment, extraCa?: Secret): Promise<string> {
    return await this.lhCi(env, extraCa, lhCi.status(this.scope(env)));
  }

  /**
   * A shell in the deployer: lh-ci, the Docker CLI and compose connected to the environment's
   * target, the configuration at /run/lawyers-hub/env and the project files in the working directory.
   *
   *   dagger call toolbox --env staging terminal
   *
   * @param extraCa extra CA certificates (PEM) that npm and apt trust while the deployer's toolkit builds
   */
  @func({ cache: "never" })
  async toolbox(env: Environment, extraCa?: Secret): Promise<Container> {
    return (await this.deployerFor(env, extraCa)).withDefaultTerminalCmd(["bash"]);
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

  private scope(env: string): TargetScope {
    return { env, projectDir: this.projectDir, imagePrefix: this.imagePrefix };
  }

  private async releaseName(): Promise<string> {
    return this.release ?? (await this.git.commit());
  }

  private async buildInputs(extraCa?: Secret): Promise<BuildInputs> {
    return {
      source: this.source,
      release: await this.releaseName(),
      nodeImage: this.nodeImage,
      ...(extraCa ? { extraCa } : {}),
    };
  }

  private configuration(env: string): Secret {
    if (!this.envFile) throw new Error(missingConfiguration(env));
    return this.envFile;
  }

  /** The deployer for an environment, with the toolkit of this checkout (and images, for a deploy). */
  private deployer(env: string, toolkit: Container, images?: Partial<Record<ImageService, Container>>): Container {
    return deployer({
      env,
      toolkit,
      target: this.target(),
      envFile: this.configuration(env),
      overrides: this.overrides(),
      projectFiles: dag
        .directory()
        .withDirectory("compose", this.source.directory("compose"))
        .withDirectory("monitoring", this.source.directory("monitoring")),
      projectDir: this.projectDir,
      ...(images ? { images } : {}),
    });
  }

  private async deployerFor(env: string, extraCa?: Secret): Promise<Container> {
    return this.deployer(env, await buildImage("ops", await this.buildInputs(extraCa)));
  }

  /** One lh-ci call in the deployer; its stdout is the function's result. */
  private async lhCi(env: string, extraCa: Secret | undefined, args: readonly string[]): Promise<string> {
    return (await runLhCi(await this.deployerFor(env, extraCa), args)).stdout;
  }
}

/** The registry options of `deploy`, all three or none (registry-free). */
function registryLogin(repository?: string, username?: string, password?: Secret): RegistryOptions | undefined {
  if (!repository && !username && !password) return undefined;
  if (!repository || !username || !password) {
    throw new Error("--registry, --registry-username and --registry-password go together (or none: registry-free)");
  }
  return { repository, username, password };
}
