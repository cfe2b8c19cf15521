/**
 * The Docker engine a function acts on, wired into the deployer container: the host's socket, a
 * remote host over SSH (key, and known hosts when given), or (neither) an ephemeral `docker:dind`
 * engine inside Dagger. lh-ci reaches it through DOCKER_HOST, as the docker CLI does.
 */
import { CacheSharingMode, type Container, dag, type Secret, type Service, type Socket } from "@dagger.io/dagger";
import { DOCKER_DIND_IMAGE } from "./images-ref.ts";
import { MISSING_SSH_KEY } from "./messages.ts";
import { DEPLOYER } from "./recipes.ts";

export interface TargetOptions {
  dockerSocket?: Socket;
  dockerHost?: string;
  sshKey?: Secret;
  /**
   * known_hosts lines for the SSH host; without them the host key is accepted on first use. A
   * Secret only so that CI can hand it over as env://NAME (host keys are public).
   */
  sshKnownHosts?: Secret;
}

export type TargetKind = "socket" | "ssh" | "ephemeral";

/** The user the deployer runs as: the ops image's own. Everything it reads is mounted for it. */
export const DEPLOYER_USER = DEPLOYER.user;
const SSH_DIR = "/run/lawyers-hub/ssh";
const DIND_PORT = 2375;

export function targetKind(options: TargetOptions): TargetKind {
  if (options.dockerSocket) return "socket";
  if (options.dockerHost) return "ssh";
  return "ephemeral";
}

/** A one-line description for reports. */
export function describeTarget(options: TargetOptions): string {
  switch (targetKind(options)) {
    case "socket":
      return "the Docker engine behind --docker-socket";
    case "ssh":
      return `the Docker engine at ${options.dockerHost}`;
    default:
      return "an ephemeral Docker engine inside Dagger (docker:dind; state in cache volumes)";
  }
}

/**
 * The first and last line of a deploy's report: where the release went. On the built-in engine
 * it was a rehearsal and says so, so that no one reads it as a deploy of the environment.
 */
export function deployHeadline(options: TargetOptions, env: string, release: string): string {
  if (targetKind(options) === "ephemeral") {
    return `REHEARSAL: ${release} was deployed to an ephemeral Docker engine inside Dagger, not to ${env}; ${env} was not touched (pass --docker-host or --docker-socket to deploy it)`;
  }
  return `deploy of ${release} to ${env} on ${describeTarget(options)}`;
}

/**
 * The dind engine of an environment. It stops shortly after its last client and only cache
 * volumes survive it: one keeps its images, containers and volumes (/var/lib/docker), the other
 * the project files lh-ci puts on the engine's host (projectDir), which the stack bind-mounts.
 */
export function ephemeralEngine(env: string, projectDir: string): Service {
  return dag
    .container()
    .from(DOCKER_DIND_IMAGE)
    .withEnvVariable("DOCKER_TLS_CERTDIR", "")
    .withMountedCache("/var/lib/docker", dag.cacheVolume(`lawyers-hub-dind-${env}`), {
      sharing: CacheSharingMode.Locked,
    })
    .withMountedCache(projectDir, dag.cacheVolume(`lawyers-hub-dind-${env}-project`), {
      sharing: CacheSharingMode.Locked,
    })
    .withExposedPort(DIND_PORT)
    .asService({ useEntrypoint: true, insecureRootCapabilities: true, args: dindArgs() });
}

/**
 * The dind service's arguments, after the image's entrypoint. They start with `dockerd`: given a
 * first argument that starts with `-` (and TLS off), dockerd-entrypoint.sh prepends `dockerd
 * --host=unix://... --host=tcp://0.0.0.0:2375` itself, and dockerd binds each --host once per
 * mention, so a second tcp://0.0.0.0:2375 makes it exit. With `dockerd` first the entrypoint
 * adds nothing and these are the listeners.
 */
export function dindArgs(): string[] {
  return ["dockerd", "--host=unix:///var/run/docker.sock", `--host=tcp://0.0.0.0:${DIND_PORT}`, "--tls=false"];
}

/** The SSH client configuration: the deploy key, and strict host keys when they are given. */
export function sshConfig(pinnedHostKeys: boolean): string {
  const hostKeys = pinnedHostKeys
    ? [`StrictHostKeyChecking yes`, `UserKnownHostsFile ${SSH_DIR}/known_hosts`]
    : ["StrictHostKeyChecking accept-new"];
  return [
    "Host *",
    `  IdentityFile ${SSH_DIR}/id_deploy`,
    "  IdentitiesOnly yes",
    ...hostKeys.map((line) => `  ${line}`),
    "  ServerAliveInterval 30",
    "",
  ].join("\n");
}

/** Docker's SSH transport runs `ssh`: the client, the key (owned by the deployer's user) and the config. */
function withSsh(container: Container, options: TargetOptions): Container {
  if (!options.sshKey) throw new Error(MISSING_SSH_KEY);
  const owner = { owner: DEPLOYER_USER };
  let withClient = container
    .withExec(["apt-get", "update", "-qq"])
    .withExec(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "openssh-client"])
    .withNewFile("/etc/ssh/ssh_config.d/lawyers-hub.conf", sshConfig(Boolean(options.sshKnownHosts)))
    .withMountedSecret(`${SSH_DIR}/id_deploy`, options.sshKey, { ...owner, mode: 0o600 });
  if (options.sshKnownHosts) {
    withClient = withClient.withMountedSecret(`${SSH_DIR}/known_hosts`, options.sshKnownHosts, {
      ...owner,
      mode: 0o644,
    });
  }
  return withClient.withEnvVariable("DOCKER_HOST", options.dockerHost as string);
}

/**
 * The target wired into a container that runs as root at this point (packages, files); the
 * socket and the secrets belong to DEPLOYER_USER, who runs lh-ci.
 */
export function withTarget(container: Container, env: string, projectDir: string, options: TargetOptions): Container {
  switch (targetKind(options)) {
    case "socket":
      return container
        .withUnixSocket(DEPLOYER.socket.path, options.dockerSocket as Socket, { owner: DEPLOYER.socket.owner })
        .withEnvVariable("DOCKER_HOST", DEPLOYER.socket.dockerHost);
    case "ssh":
      return withSsh(container, options);
    default:
      return container
        .withServiceBinding("docker", ephemeralEngine(env, projectDir))
        .withEnvVariable("DOCKER_HOST", `tcp://docker:${DIND_PORT}`);
  }
}
