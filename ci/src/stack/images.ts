/** The images a release consists of, and how they are named on the engine. */

/** The four application services; each has apps/<service>/Dockerfile. */
export const APP_SERVICES = ["api", "web", "ai-gateway", "worker"] as const;
/** The one-shot service that looks at the web page in Chromium (packages/browser-check/Dockerfile). */
export const BROWSER_CHECK_SERVICE = "browser-check";
/**
 * Every image of a release: the apps, the browser check and the ops toolkit (ci/Dockerfile). The
 * ops image goes to the engine first (the lock is taken in it); the others after the lock.
 */
export const IMAGE_SERVICES = [...APP_SERVICES, BROWSER_CHECK_SERVICE, "ops"] as const;
export type ImageService = (typeof IMAGE_SERVICES)[number];
/** The images loaded (or pulled) after the lock: every one but ops. */
export const AFTER_LOCK_SERVICES = [...APP_SERVICES, BROWSER_CHECK_SERVICE] as const;
/**
 * The images a release needs to run (what `up` starts, and ops): a rollback target needs these.
 * Its browser check image is not among them: the check runs with the deploying release's own.
 */
export const RUN_SERVICES = [...APP_SERVICES, "ops"] as const;
/** How many releases keep their images on the engine (a rollback needs no rebuild). */
export const RETAINED_RELEASES = 5;
/** Image names are `<prefix>/<service>:<release>`; the compose file reads IMAGE_PREFIX and RELEASE. */
export const DEFAULT_IMAGE_PREFIX = "lawyers-hub";

export function imageRef(prefix: string, service: ImageService, release: string): string {
  return `${prefix}/${service}:${release}`;
}

/** Every image reference of a release, by service (what the ledger records). */
export function releaseImages(prefix: string, release: string): Record<ImageService, string> {
  return Object.fromEntries(IMAGE_SERVICES.map((service) => [service, imageRef(prefix, service, release)])) as Record<
    ImageService,
    string
  >;
}

/** The variable the compose file prefers for a service's image: API_IMAGE, AI_GATEWAY_IMAGE, ... */
export function imageVariable(service: ImageService): string {
  return `${service.toUpperCase().replace(/-/g, "_")}_IMAGE`;
}

/** The tarball of one image in an `--images` folder: `<dir>/<service>.tar`. */
export function tarballName(service: ImageService): string {
  return `${service}.tar`;
}

/** The release of an image reference of ours (`<prefix>/<service>:<release>`), if it is one. */
export function releaseOfImage(prefix: string, ref: string): string | undefined {
  const colon = ref.lastIndexOf(":");
  if (colon < 0) return undefined;
  const repository = ref.slice(0, colon);
  const ours = IMAGE_SERVICES.some((service) => repository === `${prefix}/${service}`);
  return ours ? ref.slice(colon + 1) : undefined;
}
