/**
 * Every command line the module runs inside a container, in one place and as plain data (no
 * Dagger import), so that a test can prove each one exists: `lh-ci` accepts it (its `--help`
 * succeeds with exactly these options), and each `npm run` script is defined.
 *
 * Every interaction with a Docker engine is an `lh-ci` command of the toolkit (ci/src/stack);
 * the module only wires the container that runs it (deployer.ts).
 */

/** Where an environment's configuration (an env file, a Dagger Secret) is mounted in containers. */
export const ENV_FILE_PATH = "/run/lawyers-hub/env";
/** The repository root inside the toolchain containers. */
export const SOURCE_DIR = "/src";
/** In the deployer: compose/ and monitoring/ of the checkout (lh-ci puts them on the engine's host). */
export const PROJECT_SOURCE_DIR = "/project";
/** In the deployer: one tarball per image of the release, `<service>.tar`. */
export const IMAGES_DIR = "/images";
/** In the deployer: where a backup is written before Dagger returns it. */
export const BACKUP_OUT_DIR = "/tmp/lawyers-hub-backup";
/** In the deployer: where lh-ci saves the browser check's `<release>/report.json` and `screenshot.png`. */
export const BROWSER_REPORT_DIR = "/tmp/lawyers-hub-browser-check";
/** In the deployer: where a backup to restore (and its sidecar) is mounted. */
export const RESTORE_IN_DIR = "/tmp/lawyers-hub-restore";
/** Where the compose project (compose/ and monitoring/) lives on the Docker host, by default. */
export const DEFAULT_PROJECT_DIR = "/srv/lawyers-hub";
/** The four application services; they share apps/Dockerfile, which builds the one APP names. */
export const APP_SERVICES = ["api", "web", "ai-gateway", "worker"] as const;
export type AppService = (typeof APP_SERVICES)[number];
/** Every image a release consists of: the apps, the browser check verify runs, and the ops toolkit. */
export const IMAGE_SERVICES = [...APP_SERVICES, "browser-check", "ops"] as const;
export type ImageService = (typeof IMAGE_SERVICES)[number];
/** The id of the optional build secret with extra CA certificates (RUN --mount=type=secret,id=extra_ca). */
export const EXTRA_CA_SECRET_ID = "extra_ca";
/** The build argument that names the Node base image of every Dockerfile. */
export const NODE_IMAGE_BUILD_ARG = "NODE_IMAGE";
/** The build argument of apps/Dockerfile that names the service it builds. */
export const APP_BUILD_ARG = "APP";
/** How many log lines `logs` shows. */
export const LOG_LINES = 300;
/** How long `verify` waits for the stack to answer. */
export const VERIFY_TIMEOUT = "120s";

const DOCKERFILES: Record<ImageService, string> = {
  api: "apps/Dockerfile",
  web: "apps/Dockerfile",
  "ai-gateway": "apps/Dockerfile",
  worker: "apps/Dockerfile",
  "browser-check": "packages/browser-check/Dockerfile",
  ops: "ci/Dockerfile",
};

export function dockerfileOf(service: ImageService): string {
  return DOCKERFILES[service];
}

/** The build arguments of one image: the Node base image, and for an app the service to build. */
export function buildArgsOf(service: ImageService, nodeImage: string): { name: string; value: string }[] {
  const args = [{ name: NODE_IMAGE_BUILD_ARG, value: nodeImage }];
  return (APP_SERVICES as readonly string[]).includes(service)
    ? [...args, { name: APP_BUILD_ARG, value: service }]
    : args;
}

/** The tarball of one image in the deployer (`docker load` input of lh-ci deploy). */
export function imageTarball(service: ImageService): string {
  return `${IMAGES_DIR}/${service}.tar`;
}

/** npm commands of the toolchain containers, run at the repository root. */
export const npm = {
  install: ["npm", "ci", "--no-audit", "--no-fund"],
  lint: ["npm", "run", "lint"],
  typecheck: ["npm", "run", "typecheck"],
  test: ["npm", "run", "test:vitest"],
} as const;

/** What every call against the target carries: the environment, its configuration and the project. */
export interface TargetScope {
  env: string;
  projectDir: string;
  imagePrefix: string;
}

export interface DeployArgs {
  release: string;
  operator: string;
  allowDestructiveMigrations: boolean;
  noRollback: boolean;
  /** Skip the browser check (lh-ci says loudly that the release was not looked at in a browser). */
  noBrowser: boolean;
  /** Registry mode: every image by digest (else the tarballs mounted in IMAGES_DIR). */
  imageRefs?: Record<ImageService, string>;
}

function scoped(scope: TargetScope): string[] {
  return [
    "--env",
    scope.env,
    "--env-file",
    ENV_FILE_PATH,
    "--project-dir",
    scope.projectDir,
    "--image-prefix",
    scope.imagePrefix,
  ];
}

/** Where lh-ci saves the browser check's files, and --no-browser when asked. */
function browser(noBrowser: boolean): string[] {
  return ["--browser-report", BROWSER_REPORT_DIR, ...(noBrowser ? ["--no-browser"] : [])];
}

/** Arguments after `lh-ci`; one builder per function of the module. */
export const lhCi = {
  envCheck: (env: string) => ["env", "check", "--env", env, "--env-file", ENV_FILE_PATH],
  deploy: (scope: TargetScope, args: DeployArgs) => [
    "deploy",
    "--release",
    args.release,
    ...(args.imageRefs
      ? IMAGE_SERVICES.flatMap((service) => ["--image", `${service}=${args.imageRefs?.[service]}`])
      : ["--images", IMAGES_DIR]),
    "--operator",
    args.operator,
    ...(args.allowDestructiveMigrations ? ["--allow-destructive-migrations"] : []),
    ...(args.noRollback ? ["--no-rollback"] : []),
    ...browser(args.noBrowser),
    ...scoped(scope),
  ],
  rollback: (scope: TargetScope, operator: string, to?: string, noBrowser = false) => [
    "rollback",
    ...(to ? ["--to", to] : []),
    "--operator",
    operator,
    ...browser(noBrowser),
    ...scoped(scope),
  ],
  migrate: (scope: TargetScope, operator: string, release: string, allowDestructive: boolean) => [
    "stack",
    "migrate",
    "--release",
    release,
    ...(allowDestructive ? ["--allow-destructive-migrations"] : []),
    "--operator",
    operator,
    ...scoped(scope),
  ],
  verify: (scope: TargetScope, noBrowser = false) => [
    "stack",
    "verify",
    "--timeout",
    VERIFY_TIMEOUT,
    ...browser(noBrowser),
    ...scoped(scope),
  ],
  backup: (scope: TargetScope) => ["stack", "backup", "--out", BACKUP_OUT_DIR, ...scoped(scope)],
  restore: (scope: TargetScope, operator: string, file: string, allowUnsigned = false) => [
    "stack",
    "restore",
    file,
    "--yes",
    ...(allowUnsigned ? ["--allow-unsigned"] : []),
    "--operator",
    operator,
    ...scoped(scope),
  ],
  // The ledger and the lock live in the ops service's state volume: read there (`stack ops` adds --env).
  releases: (scope: TargetScope) => ["stack", "ops", ...scoped(scope), "--", "releases", "list"],
  lockStatus: (scope: TargetScope) => ["stack", "ops", ...scoped(scope), "--", "lock", "status"],
  logs: (scope: TargetScope, service?: string) => [
    "stack",
    "logs",
    ...(service ? [service] : []),
    "--tail",
    String(LOG_LINES),
    ...scoped(scope),
  ],
  status: (scope: TargetScope) => ["stack", "status", ...scoped(scope)],
} as const;

/** The leading words of an argument list, up to the first option or path. */
function leadingWords(args: readonly string[]): string[] {
  const end = args.findIndex((word) => word.startsWith("-") || word.includes("/"));
  return [...args.slice(0, end < 0 ? args.length : end)];
}

/** The words that name an lh-ci command (`stack ops -- lock status`), for messages. */
export function commandName(args: readonly string[]): string {
  const separator = args.indexOf("--");
  const inner = separator < 0 ? [] : ["--", ...leadingWords(args.slice(separator + 1))];
  return ["lh-ci", ...leadingWords(args), ...inner].join(" ");
}

/** One sample of every `lh-ci` invocation above; typed so that a new builder must appear here. */
export function everyLhCiInvocation(): Record<keyof typeof lhCi | "deployFromRegistry", string[]> {
  const scope: TargetScope = { env: "staging", projectDir: DEFAULT_PROJECT_DIR, imagePrefix: "lawyers-hub" };
  const sha = "0123456789abcdef0123456789abcdef01234567";
  const deploy = {
    release: sha,
    operator: "github:octocat",
    allowDestructiveMigrations: true,
    noRollback: true,
    noBrowser: true,
  };
  return {
    envCheck: lhCi.envCheck(scope.env),
    deploy: lhCi.deploy(scope, deploy),
    deployFromRegistry: lhCi.deploy(scope, {
      ...deploy,
      imageRefs: Object.fromEntries(
        IMAGE_SERVICES.map((service) => [service, `ghcr.io/acme/lawyers-hub/${service}@sha256:${"0".repeat(64)}`]),
      ) as Record<ImageService, string>,
    }),
    rollback: lhCi.rollback(scope, "github:octocat", sha.slice(0, 7), true),
    migrate: lhCi.migrate(scope, "github:octocat", sha, true),
    verify: lhCi.verify(scope, true),
    backup: lhCi.backup(scope),
    restore: lhCi.restore(scope, "github:octocat", `${RESTORE_IN_DIR}/lawyers_hub_staging_20261125T101500Z.sql`),
    releases: lhCi.releases(scope),
    lockStatus: lhCi.lockStatus(scope),
    logs: lhCi.logs(scope, "api"),
    status: lhCi.status(scope),
  };
}
