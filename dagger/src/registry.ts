/**
 * Registry mode of `deploy`: every image of the release published to a registry (GHCR from the
 * workflow, say) and handed to `lh-ci deploy --image` by digest, so that the target pulls only
 * the layers it lacks and runs exactly what was built. The password stays a Secret: Dagger's
 * registry auth for the push, a secret variable for lh-ci's pull; never a layer, an argument or a log.
 */
import type { Container, Secret } from "@dagger.io/dagger";
import { IMAGE_SERVICES, type ImageService } from "./commands.ts";

export interface RegistryOptions {
  /** Where the images go, e.g. ghcr.io/acme/lawyers-hub: each is <repository>/<service>. */
  repository: string;
  username: string;
  password: Secret;
}

/** The registry host of a repository: `ghcr.io/acme/lawyers-hub` → `ghcr.io`. */
export function registryHost(repository: string): string {
  return repository.split("/")[0] ?? repository;
}

/** `host/repo:tag@sha256:...` (what publish prints) as `host/repo@sha256:...`: the digest alone names the image. */
export function byDigest(address: string): string {
  const at = address.indexOf("@sha256:");
  if (at < 0) throw new Error(`publish returned ${address}, which names no digest`);
  const name = address.slice(0, at);
  const slash = name.lastIndexOf("/");
  const colon = name.lastIndexOf(":");
  return `${colon > slash ? name.slice(0, colon) : name}${address.slice(at)}`;
}

/** Publishes every image as `<repository>/<service>:<release>`, in parallel; returns each by digest. */
export async function publishAll(
  images: Record<ImageService, Container>,
  registry: RegistryOptions,
  release: string,
): Promise<Record<ImageService, string>> {
  const host = registryHost(registry.repository);
  const published = await Promise.all(
    IMAGE_SERVICES.map(async (service) => {
      const address = await images[service]
        .withRegistryAuth(host, registry.username, registry.password)
        .publish(`${registry.repository}/${service}:${release}`);
      return [service, byDigest(address)] as const;
    }),
  );
  return Object.fromEntries(published) as Record<ImageService, string>;
}

/** The deployer with lh-ci's registry login: the username plain, the password a secret variable. */
export function withRegistryLogin(container: Container, registry: RegistryOptions): Container {
  return container
    .withEnvVariable("REGISTRY_USERNAME", registry.username)
    .withSecretVariable("REGISTRY_PASSWORD", registry.password);
}
