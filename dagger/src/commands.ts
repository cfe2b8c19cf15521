/**
 * Every command line the module runs inside a container, in one place and as plain data (no
 * Dagger import), so that a test can prove each one exists: `lh-ci` accepts it (its `--help`
 * succeeds with exactly these options), and each `npm run` script is defined.
 */

/** Where an environment's configuration (an env file, a Dagger Secret) is mounted in containers. */
export const ENV_FILE_PATH = "/run/lawyers-hub/env";
/** The repository root inside the toolchain containers. */
export const SOURCE_DIR = "/src";
/** Where the compose project (compose/ and monitoring/) lives on the Docker host, by default. */
export const DEFAULT_PROJECT_DIR = "/srv/lawyers-hub";
/** The compose file, relative to the project directory. */
export const COMPOSE_FILE = "compose/docker-compose.staging.yml";
/** The four application services; each has apps/<service>/Dockerfile. */
export const APP_SERVICES = ["api", "web", "ai-gateway", "worker"] as const;
export type AppService = (typeof APP_SERVICES)[number];
/** Every image a release consists of: the apps plus the ops toolkit (ci/Dockerfile). */
export const IMAGE_SERVICES = [...APP_SERVICES, "ops"] as const;
export type ImageService = (typeof IMAGE_SERVICES)[number];
/** Inside the ops image: volumes and the migrations it carries (see ci/Dockerfile). */
export const OPS_BACKUP_DIR = "/backups";
export const OPS_MIGRATIONS_DIR = "/app/apps/api/prisma/migrations";
/** How many releases keep their images on the target (a rollback needs no rebuild). */
export const RETAINED_RELEASES = 5;

export function dockerfileOf(service: ImageService): string {
  return service === "ops" ? "ci/Dockerfile" : `apps/${service}/Dockerfile`;
}

export function imageRef(prefix: string, service: ImageService, release: string): string {
  return `${prefix}/${service}:${release}`;
}

/** npm commands of the toolchain containers, run at the repository root. */
export const npm = {
  install: ["npm", "ci", "--no-audit", "--no-fund"],
  lint: ["npm", "run", "lint"],
  typecheck: ["npm", "run", "typecheck"],
  test: ["npm", "run", "test:vitest"],
} as const;

/** The Prisma command of the one-shot migrate service (the api image). */
export const prismaMigrateDeploy = ["npx", "prisma", "migrate", "deploy"] as const;

/** Arguments after `lh-ci`, each ending with the environment. */
export const lhCi = {
  envCheck: (env: string) => ["env", "check", "--env", env, "--env-file", ENV_FILE_PATH],
  lockAcquire: (env: string, owner: string, commit: string, reason: string) => [
    "lock",
    "acquire",
    "--owner",
    owner,
    "--commit",
    commit,
    "--reason",
    reason,
    "--ttl",
    "45m",
    "--env",
    env,
  ],
  lockRelease: (env: string, owner: string) => ["lock", "release", "--owner", owner, "--env", env],
  lockStatus: (env: string) => ["lock", "status", "--env", env],
  backup: (env: string) => ["backup", "--out", OPS_BACKUP_DIR, "--env", env],
  backupPrune: (env: string) => ["backup", "prune", "--dir", OPS_BACKUP_DIR, "--keep-days", "7", "--env", env],
  backupVerify: (env: string, file: string) => ["backup", "verify", file, "--env", env],
  // The safety backup lh-ci restore takes first goes to the backups volume too.
  restore: (env: string, file: string) => ["restore", file, "--yes", "--backup-dir", OPS_BACKUP_DIR, "--env", env],
  migrationsStatus: (env: string) => ["migrations", "status", "--migrations-dir", OPS_MIGRATIONS_DIR, "--env", env],
  migrationsCheck: (env: string, allowDestructive: boolean) => [
    "migrations",
    "check",
    "--migrations-dir",
    OPS_MIGRATIONS_DIR,
    ...(allowDestructive ? ["--allow-destructive"] : []),
    "--env",
    env,
  ],
  verify: (env: string) => ["verify", "--timeout", "120s", "--migrations-dir", OPS_MIGRATIONS_DIR, "--env", env],
  releasesRecord: (
    env: string,
    entry: { commit: string; result: string; startedAt: string; finishedAt: string; note?: string },
    images: Record<string, string>,
    by: string,
  ) => [
    "releases",
    "record",
    "--commit",
    entry.commit,
    ...Object.entries(images).flatMap(([service, ref]) => ["--image", `${service}=${ref}`]),
    "--by",
    by,
    "--started",
    entry.startedAt,
    "--finished",
    entry.finishedAt,
    "--result",
    entry.result,
    ...(entry.note ? ["--note", entry.note] : []),
    "--env",
    env,
  ],
  releasesList: (env: string) => ["releases", "list", "--limit", "0", "--env", env],
  releasesListJson: (env: string) => ["releases", "list", "--limit", "0", "--json", "--env", env],
  releasesCurrent: (env: string) => ["releases", "current", "--env", env],
  releasesPrevious: (env: string) => ["releases", "previous", "--env", env],
} as const;

/** `docker compose ...` for an environment, with its env file and project name (see compose/). */
export function compose(env: string, projectDir: string, ...args: string[]): string[] {
  return [
    "docker",
    "compose",
    "-f",
    `${projectDir}/${COMPOSE_FILE}`,
    "--env-file",
    ENV_FILE_PATH,
    "-p",
    `lawyers-hub-${env}`,
    ...args,
  ];
}

/**
 * `lh-ci` inside the stack's network: `docker compose run --rm ops lh-ci ...`. State-only commands
 * (lock, ledger) pass `deps: false` so that they work while the database is down.
 */
export function opsRun(env: string, projectDir: string, lhCiArgs: readonly string[], deps = true): string[] {
  return compose(env, projectDir, "run", "--rm", "-T", ...(deps ? [] : ["--no-deps"]), "ops", "lh-ci", ...lhCiArgs);
}

/** One sample of every `lh-ci` invocation above; typed so that a new builder must appear here. */
export function everyLhCiInvocation(): Record<keyof typeof lhCi, string[]> {
  const env = "staging";
  const sha = "0123456789abcdef0123456789abcdef01234567";
  const entry = {
    commit: sha,
    result: "rolled-back",
    startedAt: "2026-11-25T10:15:00.000Z",
    finishedAt: "2026-11-25T10:20:00.000Z",
    note: "verify failed; rolled back",
  };
  const images = Object.fromEntries(IMAGE_SERVICES.map((s) => [s, imageRef("lawyers-hub", s, sha)]));
  const backupFile = `${OPS_BACKUP_DIR}/lawyers_hub_staging_20261125T101500Z.sql`;
  return {
    envCheck: lhCi.envCheck(env),
    lockAcquire: lhCi.lockAcquire(env, "github:octocat", sha, "deploy"),
    lockRelease: lhCi.lockRelease(env, "github:octocat"),
    lockStatus: lhCi.lockStatus(env),
    backup: lhCi.backup(env),
    backupPrune: lhCi.backupPrune(env),
    backupVerify: lhCi.backupVerify(env, backupFile),
    restore: lhCi.restore(env, backupFile),
    migrationsStatus: lhCi.migrationsStatus(env),
    migrationsCheck: lhCi.migrationsCheck(env, true),
    verify: lhCi.verify(env),
    releasesRecord: lhCi.releasesRecord(env, entry, images, "github:octocat"),
    releasesList: lhCi.releasesList(env),
    releasesListJson: lhCi.releasesListJson(env),
    releasesCurrent: lhCi.releasesCurrent(env),
    releasesPrevious: lhCi.releasesPrevious(env),
  };
}
