/**
 * `docker ...` command lines (Kamal's commands/ split): plain builders, no side effects, tested by
 * comparing the joined line. The engine is whatever DOCKER_HOST names when the executor runs them.
 */
import { superuserPsql } from "../roles/app-role-sql.ts";
import type { CommandLine } from "./command-line.ts";

function docker(...args: string[]): CommandLine {
  return { program: "docker", args };
}

/** `docker load` of the archive on stdin (lh-ci assembles it: only the layers the engine lacks). */
export function loadImageStream(): CommandLine {
  return docker("load");
}

/** Every image ID on the engine, intermediate ones included, one per line. */
export function listImageIds(): CommandLine {
  return docker("image", "ls", "--all", "--quiet", "--no-trunc");
}

/** `<image ID> <JSON array of diff IDs>` per image: the layers the engine holds, in order. */
export function inspectImageLayers(ids: readonly string[]): CommandLine {
  return docker("image", "inspect", "--format", "{{.Id}} {{json .RootFS.Layers}}", ...ids);
}

/** The storage driver's status as JSON pairs: says whether images live in containerd's store. */
export function storageDriverStatus(): CommandLine {
  return docker("info", "--format", "{{json .DriverStatus}}");
}

/** `docker login HOST` with the password on stdin (never an argument: those show in `ps`). */
export function login(host: string, username: string): CommandLine {
  return docker("login", "--username", username, "--password-stdin", host);
}

/** `docker pull REF@sha256:...`: the engine fetches the layers it lacks and checks every digest. */
export function pullImage(ref: string): CommandLine {
  return docker("pull", ref);
}

export function tagImage(source: string, target: string): CommandLine {
  return docker("tag", source, target);
}

/** Prints one image ID per reference; fails naming the first reference the engine does not have. */
export function inspectImages(refs: readonly string[]): CommandLine {
  return docker("image", "inspect", "--format", "{{.Id}}", ...refs);
}

/** The tags of one image as a JSON array (an image pulled by digest carries lh-ci's release tag). */
export function imageTags(ref: string): CommandLine {
  return docker("image", "inspect", "--format", "{{json .RepoTags}}", ref);
}

/** The references by digest (`repo@sha256:...`) of each image, one JSON array per line. */
export function imageDigests(refs: readonly string[]): CommandLine {
  return docker("image", "inspect", "--format", "{{json .RepoDigests}}", ...refs);
}

/** `repository:tag` of every image under the prefix, one per line. */
export function listImages(prefix: string): CommandLine {
  return docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}", "--filter", `reference=${prefix}/*`);
}

export function removeImages(refs: readonly string[]): CommandLine {
  return docker("image", "rm", ...refs);
}

/**
 * Every container of a compose project, running or not: `service<TAB>image<TAB>state<TAB>image ID`.
 * The image ID is compose's own label: for a container started by digest the engine shows the
 * repository without the digest, which names no image.
 */
export function listProjectContainers(project: string): CommandLine {
  return docker(
    "container",
    "ls",
    "--all",
    "--filter",
    `label=com.docker.compose.project=${project}`,
    "--format",
    '{{.Label "com.docker.compose.service"}}\t{{.Image}}\t{{.State}}\t{{.Label "com.docker.compose.image"}}',
  );
}

/**
 * Unpacks a tar stream (stdin) into `hostDir` on the engine's host, through a throwaway container
 * that bind-mounts it: the only way to write there when the engine is remote or lh-ci runs in a
 * container. `--recursive-unlink` replaces each directory of the archive instead of merging, so
 * a file deleted from compose/ does not linger. `image` must carry GNU tar (the ops image does).
 */
export function unpackOnHost(image: string, hostDir: string): CommandLine {
  return docker(
    "run",
    "--rm",
    "--interactive",
    "--user",
    "0",
    "--network",
    "none",
    "--volume",
    `${hostDir}:/project`,
    "--entrypoint",
    "tar",
    image,
    "--recursive-unlink",
    "--no-same-owner",
    "--directory",
    "/project",
    "--extract",
    "--file",
    "-",
  );
}

/** `tar` of the project folders, to stdout (the local side of unpackOnHost). */
export function packProject(sourceDir: string, folders: readonly string[]): CommandLine {
  return { program: "tar", args: ["--directory", sourceDir, "--create", "--file", "-", ...folders] };
}

/**
 * The containers of a compose project with what a rollout compares:
 * `ID<TAB>name<TAB>service<TAB>state<TAB>config hash<TAB>image ID` (compose's own labels).
 */
export function listComposeContainers(project: string): CommandLine {
  return docker(
    "container",
    "ls",
    "--all",
    "--no-trunc",
    "--filter",
    `label=com.docker.compose.project=${project}`,
    "--format",
    [
      "{{.ID}}",
      "{{.Names}}",
      '{{.Label "com.docker.compose.service"}}',
      "{{.State}}",
      '{{.Label "com.docker.compose.config-hash"}}',
      '{{.Label "com.docker.compose.image"}}',
    ].join("\t"),
  );
}

/**
 * What decides whether compose up would touch each container (rollout-plan.ts's stackCurrency):
 * `ID<TAB>oneoff label<TAB>state<TAB>health<TAB>image reference`, health "none" without a check.
 */
export function containerStates(ids: readonly string[]): CommandLine {
  return docker(
    "container",
    "inspect",
    "--format",
    [
      "{{.Id}}",
      '{{index .Config.Labels "com.docker.compose.oneoff"}}',
      "{{.State.Status}}",
      // `index`: a container without a health check has no Health key, and `.State.Health` would fail the template.
      '{{if index .State "Health"}}{{.State.Health.Status}}{{else}}none{{end}}',
      "{{.Config.Image}}",
    ].join("\t"),
    ...ids,
  );
}

/** The IDs of a compose service's running, healthy containers (not `compose run` ones). */
export function healthyServiceContainers(project: string, service: string): CommandLine {
  return docker(
    "container",
    "ls",
    "--quiet",
    "--no-trunc",
    "--filter",
    `label=com.docker.compose.project=${project}`,
    "--filter",
    `label=com.docker.compose.service=${service}`,
    "--filter",
    "label=com.docker.compose.oneoff=False",
    "--filter",
    "status=running",
    "--filter",
    "health=healthy",
  );
}

/**
 * psql in a running postgres container as the image's superuser, over the container's unix
 * socket (trusted there by the image: no password travels), reading its script on stdin.
 */
export function execPsql(container: string, superuser: string, database: string): CommandLine {
  return docker("container", "exec", "--interactive", container, ...superuserPsql(superuser, database));
}

/** `<state> <health>` of one container; health is "none" when it has no health check. */
export function containerHealth(id: string): CommandLine {
  return docker(
    "container",
    "inspect",
    "--format",
    '{{.State.Status}} {{if index .State "Health"}}{{.State.Health.Status}}{{else}}none{{end}}',
    id,
  );
}

/** `docker stop`: SIGTERM, then SIGKILL after each container's own stop timeout (compose's stop_grace_period). */
export function stopContainers(ids: readonly string[]): CommandLine {
  return docker("container", "stop", ...ids);
}

/** A tar archive of one path of a container (running or not, its volumes included) on stdout. */
export function copyOut(container: string, path: string): CommandLine {
  return docker("container", "cp", `${container}:${path}`, "-");
}

export function removeContainers(ids: readonly string[], force = false): CommandLine {
  return docker("container", "rm", ...(force ? ["--force"] : []), ...ids);
}

/** Each container's name and its networks with their addresses, one line each: `/name<TAB>{"net":{"IPAddress":...}}`. */
export function containerNetworks(ids: readonly string[]): CommandLine {
  return docker("container", "inspect", "--format", "{{.Name}}\t{{json .NetworkSettings.Networks}}", ...ids);
}

/** The Caddyfile the proxy container was started with, to stdout (what a rollout renders its routes from). */
export function readProxyCaddyfile(proxyId: string, path: string): CommandLine {
  return docker("container", "exec", proxyId, "cat", path);
}

/**
 * Loads the Caddyfile on stdin into the running proxy, through its admin API on the container's
 * own localhost (no published admin port). Caddy keeps its previous configuration if the new one
 * fails to load, and returns as soon as the new one serves: the previous one's requests in flight
 * go on (bounded by the Caddyfile's `grace_period`), but are no longer tried again on another
 * upstream. `{$VAR}` placeholders come from the container's environment.
 */
export function reloadProxy(proxyId: string): CommandLine {
  return docker(
    "container",
    "exec",
    "--interactive",
    proxyId,
    "caddy",
    "reload",
    "--config",
    "-",
    "--adapter",
    "caddyfile",
    "--force",
  );
}
