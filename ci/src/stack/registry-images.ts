/**
 * Registry mode: the pipeline published the release's images and hands lh-ci their references
 * by digest (`--image api=ghcr.io/org/lawyers-hub/api@sha256:...`); the target engine pulls them
 * by digest (the registry sends only the layers it lacks, and the engine checks every digest),
 * and compose runs exactly those digests. The registry login lives in a throwaway Docker client
 * configuration for the length of the pulls, never in ~/.docker, an image or the output.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { UsageError } from "../cli/exit-codes.ts";
import * as docker from "./docker.ts";
import type { Executor } from "./executor.ts";
import { IMAGE_SERVICES, type ImageService } from "./images.ts";

/** The registry login, from the environment (a Dagger Secret variable, a GitHub secret). */
export const REGISTRY_USERNAME = "REGISTRY_USERNAME";
export const REGISTRY_PASSWORD = "REGISTRY_PASSWORD";

const DIGEST_REF = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\.[a-z0-9-]+)*(?::[0-9]+)?\/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$/;

export type DigestRefs = Record<ImageService, string>;

/** `--image SERVICE=REF@sha256:DIGEST`, once per image of the release; fails naming what is wrong. */
export function parseImageOptions(values: readonly string[]): DigestRefs {
  const refs: Partial<DigestRefs> = {};
  for (const value of values) {
    const equals = value.indexOf("=");
    const service = value.slice(0, equals) as ImageService;
    const ref = value.slice(equals + 1);
    if (equals < 0 || !IMAGE_SERVICES.includes(service)) {
      throw new UsageError(
        `--image ${value}: expected SERVICE=REF@sha256:DIGEST, SERVICE one of ${IMAGE_SERVICES.join(", ")}`,
      );
    }
    if (!DIGEST_REF.test(ref)) {
      throw new UsageError(
        `--image ${service}: ${ref} is not REGISTRY/REPOSITORY@sha256:DIGEST; give the reference the publish printed (by digest, not by tag)`,
      );
    }
    if (refs[service]) throw new UsageError(`--image ${service} given twice`);
    refs[service] = ref;
  }
  const missing = IMAGE_SERVICES.filter((service) => !refs[service]);
  if (missing.length > 0)
    throw new UsageError(`--image: missing ${missing.join(", ")}; registry mode needs every image of the release`);
  return refs as DigestRefs;
}

/** The registry host of a reference (`ghcr.io`, `127.0.0.1:5000`). */
export function registryHost(ref: string): string {
  return ref.slice(0, ref.indexOf("/"));
}

export interface RegistryLogin {
  username: string;
  password: string;
}

/** The login from the environment; both or neither (a public registry). */
export function registryLogin(env: Record<string, string | undefined>): RegistryLogin | undefined {
  const username = env[REGISTRY_USERNAME] ?? "";
  const password = env[REGISTRY_PASSWORD] ?? "";
  if (username === "" && password === "") return undefined;
  if (username === "" || password === "") {
    throw new UsageError(
      `${REGISTRY_USERNAME} and ${REGISTRY_PASSWORD} go together: set both, or neither for a public registry`,
    );
  }
  return { username, password };
}

export interface PullResult {
  /** Layers the engine downloaded, and those it had already ("Already exists"). */
  layersPulled: number;
  layersPresent: number;
  /** Images the engine had by digest already: not pulled at all. */
  imagesPresent: number;
}

/** Counts docker pull's per-layer outcome lines. */
export function pullOutcome(output: string): Omit<PullResult, "imagesPresent"> {
  const lines = output.split("\n");
  return {
    layersPulled: lines.filter((line) => /: Pull complete\s*$/.test(line)).length,
    layersPresent: lines.filter((line) => /: Already exists\s*$/.test(line)).length,
  };
}

/** `docker login` to every registry of the references, into the throwaway configuration. */
async function logIn(
  exec: Executor,
  refs: Partial<DigestRefs>,
  login: RegistryLogin,
  env: Record<string, string>,
): Promise<void> {
  exec.out.redactor.add(login.password);
  for (const host of new Set(Object.values(refs).map((ref) => registryHost(ref)))) {
    exec.out.info(`Logging in to ${host} as ${login.username} (for this deploy only)...`);
    await exec.run(
      { ...docker.login(host, login.username), env },
      { input: Readable.from([login.password]), show: "none" },
    );
  }
}

/**
 * Logs in (if credentials are given and an image must be pulled) into a throwaway client configuration, pulls every reference
 * by digest unless the engine has it already, tags each as `tags[service]` (what rollbacks and retention find), and removes the
 * configuration again in every outcome.
 */
export async function pullByDigest(
  exec: Executor,
  refs: Partial<DigestRefs>,
  tags: Partial<Record<ImageService, string>>,
  login: RegistryLogin | undefined,
): Promise<PullResult> {
  const config = mkdtempSync(join(tmpdir(), "lh-ci-registry-"));
  const env = { DOCKER_CONFIG: config };
  const total: PullResult = { layersPulled: 0, layersPresent: 0, imagesPresent: 0 };
  let loggedIn = false;
  try {
    for (const [service, ref] of Object.entries(refs) as [ImageService, string][]) {
      // The engine has that digest already (a redeploy): nothing to ask the registry.
      const present = (await exec.attempt(docker.inspectImages([ref]), { show: "none" })).code === 0;
      if (present) {
        exec.out.info(`${ref} is on the engine already`);
        total.imagesPresent += 1;
      } else {
        if (login && !loggedIn) await logIn(exec, refs, login, env);
        loggedIn = true;
        exec.out.info(`Pulling ${ref}...`);
        const pulled = await exec.run({ ...docker.pullImage(ref), env }, { show: "none" });
        const outcome = pullOutcome(pulled.stdout);
        total.layersPulled += outcome.layersPulled;
        total.layersPresent += outcome.layersPresent;
      }
      const tag = tags[service];
      if (tag) await exec.run(docker.tagImage(ref, tag), { show: "none" });
    }
    return total;
  } finally {
    rmSync(config, { recursive: true, force: true });
  }
}

/** One line for the report. */
export function describePull(result: PullResult): string {
  return `pulled by digest: ${result.layersPulled} layers downloaded, ${result.layersPresent} already on the engine; ${result.imagesPresent} images on the engine by digest already`;
}
