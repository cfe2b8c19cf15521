/**
 * The options every stack command shares (--project-dir, --compose-file, --image-prefix,
 * --project-name) and what they resolve to: the compose project as lh-ci drives it, and whether the
 * project files must be put on the engine's host first.
 */
import { resolve } from "node:path";
import type { ParseArgsOptionsConfig } from "node:util";
import type { CommandContext } from "../cli/command.ts";
import { readDatabaseUrl } from "../config/database-url.ts";
import { readEnvironment } from "../config/load.ts";
import type { AppRole } from "../roles/app-role-sql.ts";
import { actor } from "../state/context.ts";
import type { ComposeProject } from "./compose.ts";
import { DEFAULT_IMAGE_PREFIX } from "./images.ts";

/** The base compose file, relative to the repository (or project) root. */
export const BASE_COMPOSE_FILE = "compose/docker-compose.staging.yml";
/** The folders the compose file reads from the host (bind mounts and configs). */
export const PROJECT_FOLDERS = ["compose", "monitoring"] as const;
/** Where the project files go on the engine's host when they are not there already. */
export const HOST_PROJECT_ROOT = "/var/lib/lawyers-hub";

export const STACK_OPTIONS = {
  "project-dir": { type: "string" },
  "compose-file": { type: "string", multiple: true },
  "image-prefix": { type: "string" },
  "project-name": { type: "string" },
} as const satisfies ParseArgsOptionsConfig;

export const STACK_HELP = `Stack options (the engine is the one DOCKER_HOST names: unset for the local socket,
ssh://user@host for a remote engine over SSH):
  --project-dir DIR    where compose/ and monitoring/ are on the engine's host, for bind mounts
                       and configs (default: the current directory when DOCKER_HOST is unset or
                       unix://, else ${HOST_PROJECT_ROOT}/<env>; a container with the host's socket
                       mounted must pass it); when DIR is not the current directory, deploy
                       copies both folders there first
  --compose-file F     an override file added after ${BASE_COMPOSE_FILE} (repeatable)
  --image-prefix P     images are P/<service>:<release> (default $IMAGE_PREFIX, else ${DEFAULT_IMAGE_PREFIX})
  --project-name NAME  the compose project (default lawyers-hub-<env>)`;

export interface StackSettings {
  env: string;
  /** Where lh-ci reads compose/ and monitoring/ (the current directory). */
  sourceDir: string;
  /** Where they are on the engine's host. */
  projectDir: string;
  /** The project files must be copied to projectDir on the host before `up`. */
  sync: boolean;
  project: ComposeProject;
  /** Who acts, for the lock and the ledger. */
  operator: string;
  /**
   * The stack's database as the deploy's role step needs it: the postgres image's superuser
   * (POSTGRES_USER), and DATABASE_URL's user (the application role), password and database.
   * Absent when the configuration lacks either variable (env check says why).
   */
  database?: { superuser: string; name: string; appRole: AppRole };
}

function stackDatabase(variables: Record<string, string | undefined>): StackSettings["database"] {
  const read = variables.DATABASE_URL ? readDatabaseUrl(variables.DATABASE_URL) : undefined;
  const superuser = variables.POSTGRES_USER;
  if (!read?.ok || !superuser) return undefined;
  return {
    superuser,
    name: read.url.database,
    appRole: { name: read.url.user, password: read.url.password },
  };
}

/**
 * True when the engine is reached through a local socket, so its host is taken to see our files.
 * A deployer container with the host's socket mounted (Dagger) sees another filesystem than the
 * engine: it must pass --project-dir.
 */
export function engineSharesOurFilesystem(processEnv: Record<string, string | undefined>): boolean {
  const host = processEnv.DOCKER_HOST ?? "";
  return host === "" || host.startsWith("unix://");
}

export function stackSettings(context: CommandContext): StackSettings {
  const { values, cwd, envName, processEnv } = context;
  // Registers the configuration's secrets with the redactor before any command runs.
  const { file } = context.loadConfig([]);
  const { values: variables } = readEnvironment(context.configSource);
  const sourceDir = cwd;
  const given = typeof values["project-dir"] === "string" ? resolve(cwd, values["project-dir"]) : undefined;
  const projectDir = given ?? (engineSharesOurFilesystem(processEnv) ? sourceDir : `${HOST_PROJECT_ROOT}/${envName}`);
  const database = stackDatabase(variables);
  const overrides = (values["compose-file"] as string[] | undefined) ?? [];
  return {
    env: envName,
    sourceDir,
    projectDir,
    sync: projectDir !== sourceDir,
    project: {
      name: typeof values["project-name"] === "string" ? values["project-name"] : `lawyers-hub-${envName}`,
      files: [resolve(sourceDir, BASE_COMPOSE_FILE), ...overrides.map((file) => resolve(cwd, file))],
      projectDirectory: `${projectDir}/compose`,
      ...(file ? { envFile: file } : {}),
      imagePrefix:
        typeof values["image-prefix"] === "string"
          ? values["image-prefix"]
          : variables.IMAGE_PREFIX || DEFAULT_IMAGE_PREFIX,
    },
    operator: actor(context, values.operator),
    ...(database ? { database } : {}),
  };
}
