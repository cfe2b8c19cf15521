/**
 * The Docker engine a deploy goes to: the host's socket, a remote host over SSH, or (neither) an
 * ephemeral `docker:dind` engine inside Dagger whose state lives in a cache volume.
 */
import { CacheSharingMode, type Container, dag, type Secret, type Service, type Socket } from "@dagger.io/dagger";
import { DOCKER_CLI_IMAGE, DOCKER_DIND_IMAGE } from "./images-ref.ts";

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
      return "an ephemeral Docker engine inside Dagger (docker:dind; state in a cache volume)";
  }
}

/** Where the published ports of the stack can be reached from the operator's machine. */
export function publicHost(options: TargetOptions): string | undefined {
  switch (targetKind(options)) {
    case "socket":
      return "localhost";
    case "ssh":
      return new URL(options.dockerHost ?? "ssh://localhost").hostname;
    default:
      return undefined;
  }
}

/** The dind engine of an environment. One cache volume per environment keeps its images and volumes. */
export function ephemeralEngine(env: string): Service {
  return dag
    .container()
    .from(DOCKER_DIND_IMAGE)
    .withEnvVariable("DOCKER_TLS_CERTDIR", "")
    .withMountedCache("/var/lib/docker", dag.cacheVolume(`lawyers-hub-dind-${env}`), {
      sharing: CacheSharingMode.Locked,
    })
    .withExposedPort(2375)
    .asService({
      useEntrypoint: true,
      insecureRootCapabilities: true,
      args: ["--host=tcp://0.0.0.0:2375", "--tls=false"],
    });
}

/** A container with the Docker CLI (and compose) connected to the target. */
export function dockerClient(env: string, options: TargetOptions): Container {
  const base = dag.container().from(DOCKER_CLI_IMAGE);
  switch (targetKind(options)) {
    case "socket":
      return base
        .withUnixSocket("/var/run/docker.sock", options.dockerSocket as Socket)
        .withEnvVariable("DOCKER_HOST", "unix:///var/run/docker.sock");
    case "ssh": {
      if (!options.sshKey) {
        throw new Error(
          "--docker-host needs --ssh-key (e.g. --ssh-key file://$HOME/.ssh/id_ed25519 or env://STAGING_SSH_KEY)",
        );
      }
      const hostKeys = options.sshKnownHosts
        ? "StrictHostKeyChecking yes\n  UserKnownHostsFile /root/.ssh/known_hosts"
        : "StrictHostKeyChecking accept-new";
      const withSsh = base
        .withExec(["apk", "add", "--no-cache", "openssh-client"])
        .withMountedSecret("/root/.ssh/id_deploy", options.sshKey, { owner: "root", mode: 0o600 });
      const withHostKeys = options.sshKnownHosts
        ? withSsh.withMountedSecret("/root/.ssh/known_hosts", options.sshKnownHosts, { owner: "root", mode: 0o644 })
        : withSsh;
      return withHostKeys
        .withNewFile(
          "/root/.ssh/config",
          `Host *\n  IdentityFile /root/.ssh/id_deploy\n  IdentitiesOnly yes\n  ${hostKeys}\n  ServerAliveInterval 30\n`,
        )
        .withEnvVariable("DOCKER_HOST", options.dockerHost as string);
    }
    default:
      return base
        .withServiceBinding("docker", ephemeralEngine(env))
        .withEnvVariable("DOCKER_HOST", "tcp://docker:2375");
  }
}
