/**
 * Replays a check recipe of the Dagger module (dagger/src/recipes.ts) with `docker` on the real
 * engine: the set-up steps become the layers of a generated Dockerfile (cached like Dagger's
 * layers; cache mounts and the extra CA as BuildKit mounts, never a layer), the services run as
 * containers on a private network under the recipe's host names, and the command runs in a
 * container on that network with the recipe's user, working directory, caches and secret files.
 * The official images the recipe names are swapped for the e2e's stand-ins (no registry here).
 */
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NODE_IMAGE as MODULE_NODE_IMAGE, POSTGRES_IMAGE, REDIS_IMAGE } from "../../../dagger/src/images-ref.ts";
import {
  type CheckRecipe,
  MANIFESTS,
  type SecretFileRecipe,
  type ServiceRecipe,
  SOURCE_IGNORE,
} from "../../../dagger/src/recipes.ts";
import { type CommandResult, docker } from "./docker.ts";
import { NODE_IMAGE, REPO_ROOT, STAND_IN_IMAGES } from "./paths.ts";
import { copyFiles, included, keptFiles } from "./recipe-source.ts";

/** The e2e's stand-in for each official image a recipe names (tests/e2e/provision.sh builds them). */
export const STAND_IN_FOR: Readonly<Record<string, string>> = {
  [MODULE_NODE_IMAGE]: NODE_IMAGE,
  [POSTGRES_IMAGE]: STAND_IN_IMAGES.POSTGRES_IMAGE,
  [REDIS_IMAGE]: STAND_IN_IMAGES.REDIS_IMAGE,
};

function standIn(image: string): string {
  const found = STAND_IN_FOR[image];
  if (!found) throw new Error(`the replay has no stand-in for ${image}: add one to STAND_IN_FOR (and provision.sh)`);
  return found;
}

/** The secret inputs of a replay, by the recipe's input name: a file on this machine. */
export type ReplaySecrets = Partial<Record<SecretFileRecipe["input"], string>>;

const json = (value: unknown) => JSON.stringify(value);

/** The Dockerfile of the recipe's set-up, with its context (source, manifests, files) written to `context`. */
export function writeBuildContext(recipe: CheckRecipe, context: string, secrets: ReplaySecrets): string[] {
  const files = keptFiles(REPO_ROOT, SOURCE_IGNORE);
  copyFiles(REPO_ROOT, join(context, "source"), files);
  copyFiles(REPO_ROOT, join(context, "manifests"), included(files, MANIFESTS));
  const given = recipe.optionalSecretFiles.filter((file) => secrets[file.input]);
  const secretMounts = given.map(
    (file) => `--mount=type=secret,id=${file.input},target=${file.path},mode=0${file.mode.toString(8)}`,
  );
  const cacheMounts = recipe.caches.map((cache) => `--mount=type=cache,id=${cache.volume},target=${cache.path}`);
  const lines = [
    `FROM ${standIn(recipe.image)}`,
    `USER ${recipe.user}`,
    `WORKDIR ${recipe.workdir}`,
    ...Object.entries(recipe.env).map(([name, value]) => `ENV ${name}=${json(value)}`),
    ...Object.entries(recipe.optionalEnv)
      .filter(([, { input }]) => secrets[input])
      .map(([name, { value }]) => `ENV ${name}=${json(value)}`),
  ];
  recipe.setup.forEach((step, index) => {
    switch (step.kind) {
      case "file":
        mkdirSync(join(context, "files"), { recursive: true });
        writeFileSync(join(context, "files", String(index)), step.contents);
        lines.push(
          `COPY files/${index} ${step.path}`,
          `RUN ["chmod", "${step.permissions.toString(8)}", ${json(step.path)}]`,
        );
        break;
      case "exec":
        lines.push(`RUN ${[...cacheMounts, ...secretMounts].join(" ")} ${json(step.args)}`);
        break;
      case "manifests":
        lines.push(`COPY manifests/ ${recipe.workdir}/`);
        break;
      case "source":
        lines.push(`COPY source/ ${recipe.workdir}/`);
        break;
    }
  });
  writeFileSync(join(context, "Dockerfile"), `${lines.join("\n")}\n`);
  return lines;
}

/** Builds the recipe's container before its command as image `tag`. */
export async function buildCheckImage(recipe: CheckRecipe, tag: string, secrets: ReplaySecrets): Promise<void> {
  const context = mkdtempSync(join(tmpdir(), `lh-recipe-${recipe.name}-`));
  try {
    writeBuildContext(recipe, context, secrets);
    const secretArgs = Object.entries(secrets).flatMap(([input, path]) => ["--secret", `id=${input},src=${path}`]);
    await docker(["build", "--quiet", ...secretArgs, "--tag", tag, context], {
      timeoutMs: 1_200_000,
      env: { ...process.env, DOCKER_BUILDKIT: "1" },
    });
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/** Waits until something accepts TCP connections at host:port (Dagger waits so for a service's exposed port). */
async function waitForPort(host: string, port: number, what: string, deadlineMs = 60_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} did not accept connections on ${host}:${port} within ${deadlineMs / 1000} s`);
}

/** A private network with the recipe's services on it under their host names. */
export class ReplayNetwork {
  readonly name = `lh-recipe-${randomBytes(4).toString("hex")}`;
  readonly #containers: string[] = [];

  async create(services: readonly ServiceRecipe[]): Promise<void> {
    await docker(["network", "create", this.name]);
    for (const service of services) {
      const container = `${this.name}-${service.alias}`;
      const env = Object.entries(service.env).flatMap(([name, value]) => ["--env", `${name}=${value}`]);
      await docker([
        "run",
        "--detach",
        "--name",
        container,
        "--network",
        this.name,
        "--network-alias",
        service.alias,
        ...env,
        standIn(service.image),
      ]);
      this.#containers.push(container);
      const address = await docker([
        "inspect",
        "--format",
        `{{ (index .NetworkSettings.Networks ${json(this.name)}).IPAddress }}`,
        container,
      ]);
      await waitForPort(address.stdout.trim(), service.port, `service ${service.alias} (${service.image})`);
    }
  }

  /** Every service's log, for the secret scan and for a failure's message. */
  async logs(): Promise<string> {
    const all = await Promise.all(
      this.#containers.map(async (container) => (await docker(["logs", container], { allowFailure: true })).output),
    );
    return all.join("\n");
  }

  async remove(): Promise<void> {
    if (this.#containers.length > 0)
      await docker(["rm", "--force", "--volumes", ...this.#containers], { allowFailure: true });
    await docker(["network", "rm", this.name], { allowFailure: true });
  }
}

/**
 * A secret file as the recipe mounts it: a private copy with the recipe's owner (resolved in the
 * image, as Dagger resolves a user name) and mode, bind-mounted read-only.
 */
export async function secretFileMount(
  image: string,
  file: SecretFileRecipe,
  source: string,
  dir: string,
): Promise<string[]> {
  const ids = await docker(["run", "--rm", "--entrypoint", "id", image, "-u", file.owner]);
  const gids = await docker(["run", "--rm", "--entrypoint", "id", image, "-g", file.owner]);
  const copy = join(dir, file.input);
  copyFileSync(source, copy);
  chownSync(copy, Number(ids.stdout.trim()), Number(gids.stdout.trim()));
  chmodSync(copy, file.mode);
  return ["--mount", `type=bind,source=${copy},target=${file.path},readonly`];
}

export interface CheckReplay {
  result: CommandResult;
  serviceLogs: string;
  seconds: { build: number; run: number };
}

/**
 * Builds and runs a check recipe: its command in its container, on a private network with its
 * services. `mounts` are extra `docker run` options of the replay (a folder for the test report).
 */
export async function replayCheck(
  recipe: CheckRecipe,
  secrets: ReplaySecrets,
  mounts: readonly string[] = [],
): Promise<CheckReplay> {
  const tag = `lh-e2e/recipe-${recipe.name}:replay`;
  const started = performance.now();
  await buildCheckImage(recipe, tag, secrets);
  const built = performance.now();
  const network = new ReplayNetwork();
  const secretDir = mkdtempSync(join(tmpdir(), "lh-recipe-secrets-"));
  try {
    await network.create(recipe.services);
    const secretMounts: string[] = [];
    for (const file of recipe.optionalSecretFiles) {
      const source = secrets[file.input];
      if (source) secretMounts.push(...(await secretFileMount(tag, file, source, secretDir)));
    }
    const caches = recipe.caches.flatMap((cache) => [
      "--mount",
      `type=volume,source=${cache.volume},target=${cache.path}`,
    ]);
    const result = await docker(
      [
        "run",
        "--rm",
        "--network",
        network.name,
        "--user",
        recipe.user,
        "--workdir",
        recipe.workdir,
        ...caches,
        ...secretMounts,
        ...mounts,
        tag,
        ...recipe.command,
      ],
      { allowFailure: true, timeoutMs: 1_800_000 },
    );
    const serviceLogs = await network.logs();
    return {
      result,
      serviceLogs,
      seconds: { build: (built - started) / 1000, run: (performance.now() - built) / 1000 },
    };
  } finally {
    await network.remove();
    rmSync(secretDir, { recursive: true, force: true });
  }
}
