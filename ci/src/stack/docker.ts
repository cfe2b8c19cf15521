/**
 * `docker ...` command lines (Kamal's commands/ split): plain builders, no side effects, tested by
 * comparing the joined line. The engine is whatever DOCKER_HOST names when the executor runs them.
 */
import type { CommandLine } from "./command-line.ts";

function docker(...args: string[]): CommandLine {
  return { program: "docker", args };
}

/** `docker load -i FILE`: the CLI streams the tarball to the engine (local or over SSH). */
export function loadImage(tarball: string): CommandLine {
  return docker("load", "--input", tarball);
}

export function tagImage(source: string, target: string): CommandLine {
  return docker("tag", source, target);
}

/** Prints one image ID per reference; fails naming the first reference the engine does not have. */
export function inspectImages(refs: readonly string[]): CommandLine {
  return docker("image", "inspect", "--format", "{{.Id}}", ...refs);
}

/** `repository:tag` of every image under the prefix, one per line. */
export function listImages(prefix: string): CommandLine {
  return docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}", "--filter", `reference=${prefix}/*`);
}

export function removeImages(refs: readonly string[]): CommandLine {
  return docker("image", "rm", ...refs);
}

/** Every container of a compose project, running or not: `service<TAB>image<TAB>state`. */
export function listProjectContainers(project: string): CommandLine {
  return docker(
    "container",
    "ls",
    "--all",
    "--filter",
    `label=com.docker.compose.project=${project}`,
    "--format",
    '{{.Label "com.docker.compose.service"}}\t{{.Image}}\t{{.State}}',
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
