/**
 * The deployer: the one container every environment function runs `lh-ci` in. The toolkit is the
 * ops image (ci/Dockerfile, built from the same source), plus the Docker CLI and its compose
 * plugin (static binaries of the pinned docker CLI image), the target wired in, the project files
 * in the working directory, the configuration as a Secret file its user can read, and the secrets
 * given one by one as variables (they win over the file, in lh-ci and in compose).
 */
import { type Container, type Directory, dag, ReturnType, type Secret } from "@dagger.io/dagger";
import type { ImageService } from "./commands.ts";
import { type ExecResult, failureMessage } from "./exec-report.ts";
import { DEPLOYER, type OverrideVariable } from "./recipes.ts";
import { type TargetOptions, withTarget } from "./target.ts";

/** Secrets given one by one (GitHub secrets), by the variable they set. */
export type SecretOverrides = Partial<Record<OverrideVariable, Secret>>;

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
  const file = DEPLOYER.envFile;
  let configured = container.withMountedSecret(file.path, envFile, { owner: file.owner, mode: file.mode });
  for (const name of DEPLOYER.secretVariables) {
    const secret = overrides[name];
    if (secret) configured = configured.withSecretVariable(name, secret);
  }
  return configured;
}

export function deployer(options: DeployerOptions): Container {
  const { binaries, user } = DEPLOYER;
  const cli = dag.container().from(binaries.image);
  let asRoot = options.toolkit.withUser("root");
  for (const path of binaries.files) {
    asRoot = asRoot.withFile(path, cli.file(path), { permissions: binaries.permissions });
  }
  let container: Container = withTarget(asRoot, options.env, options.projectDir, options.target)
    .withUser(user)
    .withDirectory(DEPLOYER.workdir, options.projectFiles, { owner: user })
    .withWorkdir(DEPLOYER.workdir);
  container = withConfiguration(container, options.envFile, options.overrides);
  for (const [service, image] of Object.entries(options.images ?? {})) {
    if (!image) continue;
    container = container.withMountedFile(DEPLOYER.imageTarball(service as ImageService), image.asTarball(), {
      owner: user,
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
