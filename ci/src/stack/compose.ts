/**
 * `docker compose ...` command lines for one environment's project. Plain builders (no side
 * effects), tested by comparing the joined line; executor.ts runs them.
 */
import { superuserPsql } from "../roles/app-role-sql.ts";
import type { CommandLine } from "./command-line.ts";
import { type ImageService, imageVariable } from "./images.ts";

function pinnedVariables(refs: Readonly<Record<ImageService, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(refs).map(([service, ref]) => [imageVariable(service as ImageService), ref]),
  );
}

/** Where the ops image keeps backups and the migrations of its release (see ci/Dockerfile). */
export const OPS_BACKUP_DIR = "/backups";
export const OPS_MIGRATIONS_DIR = "/app/apps/api/prisma/migrations";
/** Where the ops session sees the project directory of the engine's host (when deploy copies it). */
export const OPS_PROJECT_DIR = "/lh-project";
/** How long `up --wait` waits for every health check before it fails (seconds). */
export const UP_WAIT_SECONDS = 300;

export interface ComposeProject {
  /** `-p`: the project name, e.g. lawyers-hub-staging. */
  name: string;
  /** `-f`: the compose files as lh-ci reads them (local paths), base file first. */
  files: readonly string[];
  /**
   * `--project-directory`: the directory on the engine's host against which relative paths
   * (`../monitoring/...` bind mounts and configs) resolve: `<project dir>/compose`.
   */
  projectDirectory: string;
  /** `--env-file`: the environment's configuration, when it is a file. */
  envFile?: string;
  /** Image names are `<imagePrefix>/<service>:<release>` (the compose file reads both). */
  imagePrefix: string;
  /**
   * Registry mode: the release whose images compose runs by digest, and those references (given
   * to compose as API_IMAGE=ghcr.io/...@sha256:..., one variable per image, which the file prefers).
   */
  pinned?: { release: string; refs: Readonly<Record<ImageService, string>> };
}

/** `docker compose` reading `files` (`-` for stdin), in the project's directory, under its name. */
function composeOf(project: ComposeProject, files: readonly string[]): string[] {
  return [
    "compose",
    // Plain lines: no colours or cursor codes in logs, CI output and error messages.
    "--ansi",
    "never",
    ...files.flatMap((file) => ["--file", file]),
    "--project-directory",
    project.projectDirectory,
    "--project-name",
    project.name,
  ];
}

/** `docker compose` with the project's files, directory, name and env file, running `release`. */
export function compose(project: ComposeProject, release: string, ...args: string[]): CommandLine {
  return {
    program: "docker",
    args: [...composeOf(project, project.files), ...(project.envFile ? ["--env-file", project.envFile] : []), ...args],
    env: {
      RELEASE: release,
      IMAGE_PREFIX: project.imagePrefix,
      ...(project.pinned?.release === release ? pinnedVariables(project.pinned.refs) : {}),
    },
  };
}

/** `up` in the background, waiting (at most UP_WAIT_SECONDS) for the health checks of what it starts. */
const UP_AND_WAIT = ["up", "--detach", "--wait", "--wait-timeout", String(UP_WAIT_SECONDS)] as const;

/** The one-shot service that applies migrations (its name is part of the compose file's contract). */
export const MIGRATE_SERVICE = "migrate";
/** The one-shot before migrate that gives the database to the application role. */
export const DATABASE_ROLE_SERVICE = "database-role";

/**
 * Starts the release and waits for every health check (and the one-shots) to pass.
 * `withoutMigrate`: when no migration is pending, `--scale migrate=0` keeps up from running the
 * one-shot again (compose restarts it on every up); its last container goes with it. The role
 * one-shot goes too: `up --wait` counts a one-shot that no started service waits for as failed
 * once it exits, and the deploy has run the role step already.
 */
export function up(project: ComposeProject, release: string, options: { withoutMigrate?: boolean } = {}): CommandLine {
  return compose(
    project,
    release,
    ...UP_AND_WAIT,
    "--remove-orphans",
    ...(options.withoutMigrate ? ["--scale", `${MIGRATE_SERVICE}=0`, "--scale", `${DATABASE_ROLE_SERVICE}=0`] : []),
  );
}

/** The one-shot migrate service with its own command (the compose file's, or an override's). */
export function runMigrate(project: ComposeProject, release: string): CommandLine {
  return compose(project, release, "run", "--rm", "--no-TTY", MIGRATE_SERVICE);
}

/**
 * `lh-ci ...` inside the stack's network: `docker compose run --rm ops lh-ci ...`. State-only
 * commands (lock, ledger) pass `deps: false` so that they work while the database is down;
 * `runOptions` go before the service (e.g. a `--volume`).
 */
export function runOps(
  project: ComposeProject,
  release: string,
  lhCiArgs: readonly string[],
  deps = true,
  runOptions: readonly string[] = [],
): CommandLine {
  return compose(
    project,
    release,
    "run",
    "--rm",
    "--no-TTY",
    ...(deps ? [] : ["--no-deps"]),
    ...runOptions,
    "ops",
    "lh-ci",
    ...lhCiArgs,
  );
}

/**
 * One ops container for a whole deploy: `lh-ci session` reads lh-ci commands on stdin (see
 * ci/src/session/protocol.ts). Started without its dependencies: the lock comes first, before
 * anything of the stack is started.
 */
export function runOpsSession(
  project: ComposeProject,
  release: string,
  env: string,
  hostProjectDir?: string,
): CommandLine {
  // The project directory on the engine's host, read-only: deploy compares it before copying.
  const mount = hostProjectDir ? ["--volume", `${hostProjectDir}:${OPS_PROJECT_DIR}:ro`] : [];
  return runOps(project, release, ["session", "--env", env], false, mount);
}

/** The one-shot browser check service (compose profile `browser`) and where it writes its files. */
export const BROWSER_CHECK_DIR = "/report";
/** The page it loads: the web service on the network it shares with the check alone. */
export const BROWSER_CHECK_URL = "http://web:3000/";
/** One deadline over the whole check (Chromium's start included); the page takes some 2-3 s. */
export const BROWSER_CHECK_DEADLINE = "30s";
/** How long compose may take to start the check's container and remove it, on top of the deadline. */
export const BROWSER_CHECK_TIMEOUT_MS = 90_000;

/**
 * `docker compose run --name NAME browser-check ...`: loads the web page of the running release with
 * `image` (the check of the deploying release: an older release may have none), prints its report
 * as JSON on stdout and writes the screenshot to its report volume. Not `--rm`: the screenshot is
 * copied out of the exited container (`docker container cp`, no second container to start), and
 * lh-ci removes it then. `--no-deps`: it looks at what is up and never starts anything.
 */
export function runBrowserCheck(project: ComposeProject, release: string, image: string, name: string): CommandLine {
  const command = compose(
    project,
    release,
    "run",
    "--name",
    name,
    "--no-TTY",
    "--no-deps",
    "browser-check",
    "--url",
    BROWSER_CHECK_URL,
    "--out",
    BROWSER_CHECK_DIR,
    "--deadline",
    BROWSER_CHECK_DEADLINE,
    "--json",
  );
  return { ...command, env: { ...command.env, BROWSER_CHECK_IMAGE: image } };
}

/** The project's configuration as JSON, with the ops profile (to read what ops depends on). */
export function configJson(project: ComposeProject, release: string): CommandLine {
  return compose(project, release, "--profile", "ops", "config", "--format", "json");
}

/** Starts the given services (and what they depend on) and waits for their health checks. */
export function upServices(project: ComposeProject, release: string, services: readonly string[]): CommandLine {
  return compose(project, release, ...UP_AND_WAIT, ...services);
}

/** A program of the ops image other than lh-ci (cat, install), without starting the database. */
export function runOpsProgram(
  project: ComposeProject,
  release: string,
  program: string,
  args: readonly string[],
): CommandLine {
  return compose(project, release, "run", "--rm", "--no-TTY", "--no-deps", "--entrypoint", program, "ops", ...args);
}

/**
 * psql in the running postgres container as the image's superuser, over the container's unix
 * socket (trusted there by the image: no password travels), reading its script on stdin.
 */
export function execPsql(project: ComposeProject, release: string, superuser: string, database: string): CommandLine {
  return compose(project, release, "exec", "--no-TTY", "postgres", ...superuserPsql(superuser, database));
}

/** Copies a file of the backups volume to stdout. */
export function readBackupFile(project: ComposeProject, release: string, name: string): CommandLine {
  return runOpsProgram(project, release, "cat", [`${OPS_BACKUP_DIR}/${name}`]);
}

/** Writes stdin to a file of the backups volume, mode 0600 like every backup lh-ci writes. */
export function writeBackupFile(project: ComposeProject, release: string, name: string): CommandLine {
  return runOpsProgram(project, release, "install", ["-m", "0600", "/dev/stdin", `${OPS_BACKUP_DIR}/${name}`]);
}

export function ps(project: ComposeProject, release: string, json: boolean): CommandLine {
  return compose(project, release, "ps", "--all", ...(json ? ["--format", "json"] : []));
}

export function logs(project: ComposeProject, release: string, tail: number, service?: string): CommandLine {
  return compose(
    project,
    release,
    "logs",
    "--no-color",
    "--timestamps",
    "--tail",
    String(tail),
    ...(service ? [service] : []),
  );
}

/** The services of the project (no profile: what `up` starts) as JSON: their images and dependencies. */
export function servicesJson(project: ComposeProject, release: string): CommandLine {
  return compose(project, release, "config", "--format", "json");
}

/** `service hash` per line: the configuration hash compose labels each container with. */
export function configHashes(project: ComposeProject, release: string, services: readonly string[]): CommandLine {
  return compose(project, release, "config", "--hash", services.join(","));
}

/**
 * `config --hash` of a project given on stdin as JSON (rollout-plan.ts's withRolledCopies): the
 * project's name and directory, no files, no environment (the JSON is interpolated already).
 */
export function configHashesOfStdin(project: ComposeProject): CommandLine {
  return { program: "docker", args: [...composeOf(project, ["-"]), "config", "--hash", "*"] };
}

/**
 * Starts the given services without their dependencies (up, running already) and waits for
 * their health checks: a plain up would recreate a dependency a rollout started.
 */
export function upAlone(project: ComposeProject, release: string, services: readonly string[]): CommandLine {
  return compose(project, release, ...UP_AND_WAIT, "--no-deps", ...services);
}

/**
 * Starts the given services (and their dependencies) and removes orphans; `wait`: also waits for
 * their health checks.
 */
export function upSome(
  project: ComposeProject,
  release: string,
  services: readonly string[],
  wait = true,
): CommandLine {
  return compose(project, release, ...(wait ? UP_AND_WAIT : ["up", "--detach"]), "--remove-orphans", ...services);
}

/**
 * The start of a start-first rollout: one more container of each service next to the running
 * ones (`--scale`), which stay as they are (`--no-recreate`), without touching any dependency.
 * Not `--wait`: rollout.ts watches the new containers itself, to remove them when one fails.
 */
export function scaleUp(
  project: ComposeProject,
  release: string,
  scales: readonly { service: string; scale: number }[],
): CommandLine {
  return compose(
    project,
    release,
    "up",
    "--detach",
    "--no-deps",
    "--no-recreate",
    ...scales.flatMap(({ service, scale }) => ["--scale", `${service}=${scale}`]),
    ...scales.map(({ service }) => service),
  );
}
