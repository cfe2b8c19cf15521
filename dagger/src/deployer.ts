/**
 * The deployer: the one container every environment function runs `lh-ci` in. The toolkit is the
 * ops image (ci/Dockerfile, built from the same source), plus the Docker CLI and its compose
 * plugin (static binaries of the pinned docker CLI image), the target wired in, the project files
 * in the working directory, the configuration as a Secret file its user can read, and the secrets
 * given one by one as variables (they win over the file, in lh-ci and in compose).
 */
import { type Container, type Directory, dag, ReturnType, type Secret } from "@dagger.io/dagger";
import { ENV_FILE_PATH, type ImageService, imageTarball, PROJECT_SOURCE_DIR } from "./commands.ts";
import { type ExecResult, failureMessage } from "./exec-report.ts";
import { DOCKER_CLI_IMAGE } from "./images-ref.ts";
import { DEPLOYER_USER, type TargetOptions, withTarget } from "./target.ts";

const DOCKER_BINARY = "/usr/local/bin/docker";
const COMPOSE_PLUGIN = "/usr/local/libexec/docker/cli-plugins/docker-compose";

/** Secrets given one by one (GitHub secrets), by the variable they set. */
export type SecretOverrides = Partial<Record<string, Secret>>;

export interface DeployerOptions {
  env: string;
  /** The ops image of this checkout: the lh-ci toolkit. */
  toolkit: Container;
  target: TargetOptions;
  /** The environment's configuration (an env file). */
  envFile: Secret;
  overrides: SecretOverrides;
  /** compose/ and monitoring/ of the checkout. */
  projectFiles: Directory;
  /** Where the project lives on the engine's host. */
  projectDir: string;
  /** Image tarballs of the release, mounted where `lh-ci deploy --images` reads them. */
  images?: Partial<Record<ImageService, Container>>;
}

/**
 * The environment's configuration for lh-ci: the env file as a Secret file its user can read (a
 * secret mount is root-owned with mode 0400 by default), and the secrets given one by one as
 * variables, which win over the file. For the deployer and for the early `lh-ci env check`.
 */
export function withConfiguration(container: Container, envFile: Secret, overrides: SecretOverrides): Container {
  let configured = container.withMountedSecret(ENV_FILE_PATH, envFile, { owner: DEPLOYER_USER, mode: 0o400 });
  for (const [name, secret] of Object.entries(overrides)) {
    if (secret) configured = configured.withSecretVariable(name, secret);
  }
  return configured;
}

export function deployer(options: DeployerOptions): Container {
  const cli = dag.container().from(DOCKER_CLI_IMAGE);
  const asRoot = options.toolkit
    .withUser("root")
    .withFile(DOCKER_BINARY, cli.file(DOCKER_BINARY), { permissions: 0o755 })
    .withFile(COMPOSE_PLUGIN, cli.file(COMPOSE_PLUGIN), { permissions: 0o755 });
  let container: Container = withTarget(asRoot, options.env, options.projectDir, options.target)
    .withUser(DEPLOYER_USER)
    .withDirectory(PROJECT_SOURCE_DIR, options.projectFiles, { owner: DEPLOYER_USER })
    .withWorkdir(PROJECT_SOURCE_DIR);
  container = withConfiguration(container, options.envFile, options.overrides);
  for (const [service, image] of Object.entries(options.images ?? {})) {
    if (!image) continue;
    container = container.withMountedFile(imageTarball(service as ImageService), image.asTarball(), {
      owner: DEPLOYER_USER,
    });
  }
  return container;
}

let runCounter = 0;
/** Unique per call: a side-effecting exec must never be served from the layer cache. */
function runId(): string {
  runCounter += 1;
  return `${Date.now()}-${process.pid}-${runCounter}`;
}

export interface LhCiRun extends ExecResult {
  /** The container after the call (to read files it wrote). */
  container: Container;
}

/**
 * `lh-ci ...` in a container, never cached. A failed exec would raise only "exit code N", so
 * it runs with `expect: ReturnType.Any` and a failure is reported with its exit code and output.
 */
export async function runLhCi(container: Container, args: readonly string[]): Promise<LhCiRun> {
  const done = container.withEnvVariable("LH_RUN", runId()).withExec(["lh-ci", ...args], { expect: ReturnType.Any });
  const [exitCode, stdout, stderr] = await Promise.all([done.exitCode(), done.stdout(), done.stderr()]);
  if (exitCode !== 0) throw new Error(failureMessage(args, { exitCode, stdout, stderr }));
  return { container: done, exitCode, stdout, stderr };
}
