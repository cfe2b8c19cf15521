import { existsSync } from "node:fs";
import { docker } from "./docker.ts";
import { IMAGE_PREFIX, NODE_IMAGE } from "./paths.ts";

/**
 * The six images of a release, each from its real Dockerfile with the repository root as context.
 * The four services share apps/Dockerfile, which builds the one its build argument APP names; the
 * browser check (a one-shot of verify) and ops have their own.
 */
export const SERVICE_DOCKERFILES = {
  api: "apps/Dockerfile",
  web: "apps/Dockerfile",
  "ai-gateway": "apps/Dockerfile",
  worker: "apps/Dockerfile",
  "browser-check": "packages/browser-check/Dockerfile",
  ops: "ci/Dockerfile",
} as const;
export type ImageService = keyof typeof SERVICE_DOCKERFILES;
export const IMAGE_SERVICES = Object.keys(SERVICE_DOCKERFILES) as ImageService[];

/** The build arguments of one image: the e2e's Node base, APP for the four services, no Prisma engine download. */
export function buildArgs(service: ImageService): string[] {
  const args = ["--build-arg", `NODE_IMAGE=${NODE_IMAGE}`];
  if (SERVICE_DOCKERFILES[service] === "apps/Dockerfile") args.push("--build-arg", `APP=${service}`);
  // Prisma's schema engine cannot be downloaded here (only the api fetches it).
  if (service === "api") args.push("--build-arg", "PRISMA_FETCH_ENGINES=false");
  return args;
}

/** The one-shot images: verify runs them, `up` does not; they have no HEALTHCHECK. */
export const ONE_SHOT_IMAGES: readonly ImageService[] = ["browser-check"];

export function imageName(service: ImageService, release: string): string {
  return `${IMAGE_PREFIX}/${service}:${release}`;
}

/**
 * This network inspects TLS: the builds' npm steps trust the host's CA bundle, given as the
 * optional build secret `extra_ca` (never a layer). LH_E2E_EXTRA_CA names another bundle.
 */
export const EXTRA_CA = process.env.LH_E2E_EXTRA_CA ?? "/etc/ssl/certs/ca-certificates.crt";

/** Builds one service's image with BuildKit: the e2e's base, no Prisma engine download. */
export async function buildImage(service: ImageService, release: string): Promise<void> {
  const args = [
    "build",
    "--file",
    SERVICE_DOCKERFILES[service],
    ...buildArgs(service),
    "--tag",
    imageName(service, release),
  ];
  if (existsSync(EXTRA_CA)) args.push("--secret", `id=extra_ca,src=${EXTRA_CA}`);
  await docker([...args, "."], { timeoutMs: 600_000, env: { ...process.env, DOCKER_BUILDKIT: "1" } });
}

export interface ImageFacts {
  user: string;
  healthcheck: string[];
  sizeBytes: number;
  /** `docker history --no-trunc` and the image's config: where a build secret would show. */
  historyAndConfig: string;
}

export async function imageFacts(image: string): Promise<ImageFacts> {
  const inspect = await docker(["image", "inspect", image]);
  const [config] = JSON.parse(inspect.stdout) as {
    Size: number;
    Config: { User?: string; Healthcheck?: { Test?: string[] } };
  }[];
  if (!config) throw new Error(`docker image inspect ${image} returned nothing`);
  const history = await docker(["history", "--no-trunc", "--format", "{{.CreatedBy}}", image]);
  return {
    user: config.Config.User ?? "",
    healthcheck: config.Config.Healthcheck?.Test ?? [],
    sizeBytes: config.Size,
    historyAndConfig: `${history.stdout}\n${inspect.stdout}`,
  };
}

/** Removes the e2e's service images of other releases, so runs do not fill the disk. */
export async function removeOtherReleases(release: string): Promise<string[]> {
  const removed: string[] = [];
  for (const service of IMAGE_SERVICES) {
    const listed = await docker(["images", `${IMAGE_PREFIX}/${service}`, "--format", "{{.Repository}}:{{.Tag}}"]);
    for (const name of listed.stdout.split("\n").filter(Boolean)) {
      if (name === imageName(service, release) || !/:[0-9a-f]{40}$/.test(name)) continue;
      await docker(["rmi", name], { allowFailure: true });
      removed.push(name);
    }
  }
  return removed;
}
