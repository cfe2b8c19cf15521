/**
 * The containers of the module's check functions and of its deployer, as plain data (no Dagger
 * import): base image, user, working directory, environment, services and their host names,
 * caches, secret files with owner and mode, the engine socket and the commands. toolchain.ts and
 * deployer.ts build the Dagger containers from these recipes; tests/e2e replays the same recipes
 * with `docker` on a real engine, so what `dagger call test` runs is run every CI run.
 */
import {
  DEFAULT_PROJECT_DIR,
  ENV_FILE_PATH,
  IMAGES_DIR,
  type ImageService,
  imageTarball,
  npm,
  PROJECT_SOURCE_DIR,
  SOURCE_DIR,
} from "./commands.ts";
import { DOCKER_CLI_IMAGE, NODE_IMAGE, POSTGRES_IMAGE, REDIS_IMAGE, TEST_TOOL_PACKAGES } from "./images-ref.ts";

/** A container the recipe's container reaches by host name (a Dagger service binding). */
export interface ServiceRecipe {
  alias: string;
  image: string;
  env: Readonly<Record<string, string>>;
  port: number;
}

/** A file whose content is a secret, mounted (never copied into a layer) with this owner and mode. */
export interface SecretFileRecipe {
  /** What the secret is, by the name of the module argument that carries it. */
  input: "extraCa" | "envFile";
  path: string;
  owner: string;
  mode: number;
}

/** One step of the set-up, before the commands; each is a cached layer. */
export type SetupStep =
  | { kind: "file"; path: string; contents: string; permissions: number }
  | { kind: "exec"; args: readonly string[] }
  /** The source's package.json and lockfiles (only), so a source change does not reinstall. */
  | { kind: "manifests" }
  /** The whole source (SOURCE_IGNORE applied). */
  | { kind: "source" };

export interface CheckRecipe {
  name: "lint" | "typecheck" | "test";
  image: string;
  user: string;
  workdir: string;
  env: Readonly<Record<string, string>>;
  caches: ReadonlyArray<{ path: string; volume: string }>;
  /** Mounted when given (e.g. extra CA certificates behind a TLS-inspecting proxy). */
  optionalSecretFiles: readonly SecretFileRecipe[];
  /** Variables set only when the optional secret file of that input is mounted. */
  optionalEnv: Readonly<Record<string, { input: SecretFileRecipe["input"]; value: string }>>;
  services: readonly ServiceRecipe[];
  setup: readonly SetupStep[];
  command: readonly string[];
}

/**
 * What the module's source leaves out (the constructor's `ignore`; the introspection test holds
 * the two equal): dependencies, env files, backups, state and build output.
 */
export const SOURCE_IGNORE = [
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
] as const;

/** What npm ci needs: every package.json and lockfile (workspaces and the module's own), and what its postinstall reads. */
export const MANIFESTS = [
  "package.json",
  "package-lock.json",
  "**/package.json",
  "**/package-lock.json",
  // The install generates Prisma Client (the root postinstall): its schema, config and script are inputs too.
  "apps/api/prisma/schema.prisma",
  "apps/api/prisma.config.ts",
  "apps/api/scripts/*",
] as const;

/** Where extra CA certificates are mounted in the check containers, and the variable Node reads. */
export const EXTRA_CA_PATH = "/run/secrets/extra_ca";

/** The test suite's shared PostgreSQL and Redis, and the variables that point the tests at them. */
export const TEST_SERVICES: readonly ServiceRecipe[] = [
  { alias: "postgres", image: POSTGRES_IMAGE, env: { POSTGRES_HOST_AUTH_METHOD: "trust" }, port: 5432 },
  { alias: "redis", image: REDIS_IMAGE, env: {}, port: 6379 },
];
/** Read by ci/test/support/service-addresses.ts. */
export const TEST_SERVICE_ENV = {
  TEST_POSTGRES_URL: "postgresql://postgres@postgres:5432/postgres",
  TEST_REDIS_HOST: "redis",
  TEST_REDIS_PORT: "6379",
} as const;

/** Installing a server package must not try to start its daemon inside the container. */
const POLICY_RC: SetupStep = {
  kind: "file",
  path: "/usr/sbin/policy-rc.d",
  contents: "#!/bin/sh\nexit 101\n",
  permissions: 0o755,
};

/** The Debian tools the tests call (psql, pg_dump, pgbench, redis-server, promtool, amtool, shellcheck). */
const TEST_TOOLS: readonly SetupStep[] = [
  POLICY_RC,
  { kind: "exec", args: ["apt-get", "update", "-qq"] },
  { kind: "exec", args: ["apt-get", "install", "-y", "-qq", "--no-install-recommends", ...TEST_TOOL_PACKAGES] },
];

/**
 * npm's global configuration: no update check. npm runs it in the background of every npm and npx
 * (tests run npx with a minimal environment), and a process waits for it to end: without the
 * registry, or behind a TLS-inspecting proxy whose CA such a child does not get, that is minutes.
 */
const NPM_GLOBAL_CONFIG: SetupStep = {
  kind: "file",
  path: "/usr/local/etc/npmrc",
  contents: "update-notifier=false\n",
  permissions: 0o644,
};

/** Dependencies from the manifests first, then the source. */
const INSTALL: readonly SetupStep[] = [
  NPM_GLOBAL_CONFIG,
  { kind: "manifests" },
  { kind: "exec", args: [...npm.install] },
  { kind: "source" },
];

function checkRecipe(name: CheckRecipe["name"], nodeImage: string): CheckRecipe {
  return {
    name,
    image: nodeImage,
    // The official Node image's own user for a RUN: root (apt-get, and npm's cache below /root).
    user: "root",
    workdir: SOURCE_DIR,
    env: { CI: "true", ...(name === "test" ? TEST_SERVICE_ENV : {}) },
    caches: [{ path: "/root/.npm", volume: "lawyers-hub-npm" }],
    optionalSecretFiles: [{ input: "extraCa", path: EXTRA_CA_PATH, owner: "root", mode: 0o400 }],
    optionalEnv: { NODE_EXTRA_CA_CERTS: { input: "extraCa", value: EXTRA_CA_PATH } },
    services: name === "test" ? TEST_SERVICES : [],
    setup: name === "test" ? [...TEST_TOOLS, ...INSTALL] : INSTALL,
    command: npm[name],
  };
}

/** The containers of `dagger call lint`, `typecheck` and `test`. */
export function checkRecipes(nodeImage: string = NODE_IMAGE): Record<CheckRecipe["name"], CheckRecipe> {
  return {
    lint: checkRecipe("lint", nodeImage),
    typecheck: checkRecipe("typecheck", nodeImage),
    test: checkRecipe("test", nodeImage),
  };
}

/** The deployer's user: the ops image's own. Everything it reads is mounted for it. */
export const DEPLOYER_USER = "node";
/** The secrets given one by one (GitHub secrets): variables that win over the env file. */
export const OVERRIDE_VARIABLES = [
  "DATABASE_URL",
  "REDIS_PASSWORD",
  "CLERK_SECRET_KEY",
  "STRIPE_SECRET_KEY",
  "OPENAI_API_KEY",
] as const;
export type OverrideVariable = (typeof OVERRIDE_VARIABLES)[number];

/**
 * The deployer: the ops image of the checkout (the lh-ci toolkit, built from ci/Dockerfile), plus
 * the Docker CLI and compose plugin copied as root from the pinned CLI image, then as its user
 * the project files in the working directory, the env file, the overrides and the image tarballs.
 * The target here is the socket form (`--docker-socket`); SSH and the built-in engine are wired
 * in target.ts.
 */
export const DEPLOYER = {
  toolkitDockerfile: "ci/Dockerfile",
  binaries: {
    image: DOCKER_CLI_IMAGE,
    files: ["/usr/local/bin/docker", "/usr/local/libexec/docker/cli-plugins/docker-compose"],
    permissions: 0o755,
  },
  user: DEPLOYER_USER,
  workdir: PROJECT_SOURCE_DIR,
  projectFolders: ["compose", "monitoring"],
  envFile: { input: "envFile", path: ENV_FILE_PATH, owner: DEPLOYER_USER, mode: 0o400 } satisfies SecretFileRecipe,
  secretVariables: OVERRIDE_VARIABLES,
  socket: { path: "/var/run/docker.sock", owner: DEPLOYER_USER, dockerHost: "unix:///var/run/docker.sock" },
  imagesDir: IMAGES_DIR,
  imageTarball: (service: ImageService) => imageTarball(service),
  /** Where the project lives on the engine's host unless --project-dir says otherwise. */
  defaultProjectDir: DEFAULT_PROJECT_DIR,
} as const;
