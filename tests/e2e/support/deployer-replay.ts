/**
 * Replays the deployer recipe of the Dagger module (DEPLOYER in dagger/src/recipes.ts) with
 * `docker`: the ops image of the release as the toolkit, the Docker CLI and compose plugin copied
 * in as root, then as the recipe's user the project files in its working directory, the env file
 * as a read-only file of its own, the overrides as variables, the image tarballs, and the engine's
 * socket (`--docker-socket`). Where the replay differs from Dagger, it says why.
 */
import {
  chmodSync,
  chownSync,
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DeployArgs, lhCi, type TargetScope } from "../../../dagger/src/commands.ts";
import { DEPLOYER } from "../../../dagger/src/recipes.ts";
import { type CommandResult, docker } from "./docker.ts";
import { IMAGE_SERVICES } from "./images.ts";
import { E2E_COMPOSE_FILE, REPO_ROOT } from "./paths.ts";

/**
 * Not the pinned docker:28.5.1-cli binaries (no registry here): this machine's Docker CLI and
 * compose plugin, which run on the ops image's Debian as they do on the host.
 */
const HOST_BINARIES: Record<string, string> = {
  "/usr/local/bin/docker": "/usr/bin/docker",
  "/usr/local/libexec/docker/cli-plugins/docker-compose": "/usr/libexec/docker/cli-plugins/docker-compose",
};
const SOCKET = "/var/run/docker.sock";
/** The e2e's compose layer inside the deployer (a replay addition, like --project-name). */
const E2E_LAYER = "e2e/compose.e2e.yml";

export interface DeployerReplayOptions {
  release: string;
  /** Images are <imagePrefix>/<service>:<release>; the same tags are saved as the tarballs. */
  imagePrefix: string;
  project: string;
  envFile: string;
  /** Secrets given one by one, by variable (they win over the env file). */
  overrides: Partial<Record<(typeof DEPLOYER.secretVariables)[number], string>>;
}

export interface DeployerReplay {
  result: CommandResult;
  /** The project directory on the engine's host (this machine) that lh-ci copied the files to. */
  projectDir: string;
  /** The env file as mounted: the recipe's owner and mode. */
  envFile: string;
  /** The Dockerfile lines of the deployer image and the `docker run` options, for the checks. */
  dockerfile: string[];
  runOptions: string[];
  /** The replay's files and its deployer image gone. */
  remove(): Promise<void>;
}

async function idOf(image: string, user: string, flag: "-u" | "-g"): Promise<number> {
  return Number((await docker(["run", "--rm", "--entrypoint", "id", image, flag, user])).stdout.trim());
}

/** Builds the deployer image and runs `lh-ci deploy` in it against this machine's engine. */
export async function replayDeployer(options: DeployerReplayOptions): Promise<DeployerReplay> {
  const work = mkdtempSync(join(tmpdir(), "lh-recipe-deployer-"));
  const toolkit = `${options.imagePrefix}/ops:${options.release}`;
  const tag = `lh-e2e/recipe-deployer:${options.release.slice(0, 12)}`;
  const context = join(work, "context");
  const user = DEPLOYER.user;
  const uid = await idOf(toolkit, user, "-u");
  const gid = await idOf(toolkit, user, "-g");

  // The image: toolkit, binaries as root, project files for the user, its working directory.
  mkdirSync(join(context, "bin"), { recursive: true });
  const dockerfile = [`FROM ${toolkit}`, "USER root"];
  Object.entries(HOST_BINARIES).forEach(([target, source], index) => {
    copyFileSync(source, join(context, "bin", String(index)));
    dockerfile.push(
      `COPY bin/${index} ${target}`,
      `RUN ["chmod", "${DEPLOYER.binaries.permissions.toString(8)}", "${target}"]`,
    );
  });
  for (const folder of DEPLOYER.projectFolders)
    cpSync(join(REPO_ROOT, folder), join(context, "project", folder), { recursive: true });
  mkdirSync(join(context, "project", "e2e"));
  copyFileSync(E2E_COMPOSE_FILE, join(context, "project", E2E_LAYER));
  dockerfile.push(`USER ${user}`, `COPY --chown=${user} project/ ${DEPLOYER.workdir}/`, `WORKDIR ${DEPLOYER.workdir}`);
  writeFileSync(join(context, "Dockerfile"), `${dockerfile.join("\n")}\n`);
  await docker(["build", "--quiet", "--tag", tag, context], {
    timeoutMs: 300_000,
    env: { ...process.env, DOCKER_BUILDKIT: "1" },
  });

  // The env file: the recipe's owner and mode, read-only.
  const envCopy = join(work, "env");
  copyFileSync(options.envFile, envCopy);
  chownSync(envCopy, uid, gid);
  chmodSync(envCopy, DEPLOYER.envFile.mode);

  // The image tarballs of the release, the user's (Dagger mounts each `asTarball()` so).
  const images = join(work, "images");
  mkdirSync(images);
  for (const service of IMAGE_SERVICES) {
    const tarball = join(images, `${service}.tar`);
    await docker(["save", "--output", tarball, `${options.imagePrefix}/${service}:${options.release}`], {
      timeoutMs: 600_000,
    });
    chownSync(tarball, uid, gid);
  }

  // The project directory on the engine's host; the e2e layer's migrate stand-in is read from there.
  const projectDir = join(work, "host-project");
  const standIn = join(projectDir, "tests", "e2e", "stand-ins", "prisma-migrate");
  mkdirSync(standIn, { recursive: true });
  copyFileSync(
    join(REPO_ROOT, "tests", "e2e", "stand-ins", "prisma-migrate", "migrate-deploy.ts"),
    join(standIn, "migrate-deploy.ts"),
  );

  // Dagger hands the socket to the user (`owner`); a bind mount keeps the host's owner, so the
  // replay adds the socket's group instead.
  const socketGroup = String(statSync(SOCKET).gid);
  const runOptions = [
    "--user",
    user,
    "--group-add",
    socketGroup,
    "--mount",
    `type=bind,source=${SOCKET},target=${DEPLOYER.socket.path}`,
    "--env",
    `DOCKER_HOST=${DEPLOYER.socket.dockerHost}`,
    "--mount",
    `type=bind,source=${envCopy},target=${DEPLOYER.envFile.path},readonly`,
    ...Object.keys(options.overrides).flatMap((name) => ["--env", name]),
  ];
  for (const service of IMAGE_SERVICES) {
    runOptions.push(
      "--mount",
      `type=bind,source=${join(images, `${service}.tar`)},target=${DEPLOYER.imageTarball(service)},readonly`,
    );
  }
  const scope: TargetScope = { env: "staging", projectDir, imagePrefix: options.imagePrefix };
  const deploy: DeployArgs = {
    release: options.release,
    operator: "e2e:deployer-recipe",
    allowDestructiveMigrations: false,
    noRollback: false,
    noBrowser: false,
  };
  const command = [...lhCi.deploy(scope, deploy), "--project-name", options.project, "--compose-file", E2E_LAYER];
  // The overrides reach docker run by name only (`--env NAME`): their values never sit on a command line.
  const result = await docker(["run", "--rm", ...runOptions, tag, "lh-ci", ...command], {
    allowFailure: true,
    timeoutMs: 900_000,
    env: { ...process.env, ...options.overrides },
  });
  return {
    result,
    projectDir,
    envFile: envCopy,
    dockerfile,
    runOptions,
    remove: async () => {
      rmSync(work, { recursive: true, force: true });
      await docker(["image", "rm", "--force", tag], { allowFailure: true });
    },
  };
}
