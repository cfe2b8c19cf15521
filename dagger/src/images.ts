/**
 * The images of a release, built from the real Dockerfiles with the repository as context: the
 * Node base image as the build argument NODE_IMAGE (and APP, the service apps/Dockerfile builds), and extra CA certificates (for builds behind a
 * TLS-inspecting proxy) as the optional build secret `extra_ca`, which never lands in a layer.
 */
import { type Container, type Directory, dag, type Secret } from "@dagger.io/dagger";
import { buildArgsOf, dockerfileOf, EXTRA_CA_SECRET_ID, IMAGE_SERVICES, type ImageService } from "./commands.ts";

export interface BuildInputs {
  source: Directory;
  release: string;
  /** The Node base image every Dockerfile builds FROM (a private mirror, or the pinned official one). */
  nodeImage: string;
  /** PEM bundle of extra CA certificates that npm and apt trust during the build. */
  extraCa?: Secret;
}

/**
 * The build secret `extra_ca`. A Secret given on the command line is named by the engine (a digest),
 * and dockerBuild mounts each secret at /run/secrets/<its name>, so the certificates are handed
 * over under the id the Dockerfiles read. CA certificates are public: reading them here exposes
 * nothing; they stay a Secret so that they never enter an image layer or the build cache key.
 */
async function buildSecrets(extraCa?: Secret): Promise<Secret[]> {
  if (!extraCa) return [];
  return [dag.setSecret(EXTRA_CA_SECRET_ID, await extraCa.plaintext())];
}

/** One image of the release, labelled with it. */
export async function buildImage(service: ImageService, inputs: BuildInputs): Promise<Container> {
  return inputs.source
    .dockerBuild({
      dockerfile: dockerfileOf(service),
      buildArgs: buildArgsOf(service, inputs.nodeImage),
      secrets: await buildSecrets(inputs.extraCa),
    })
    .withLabel("org.opencontainers.image.revision", inputs.release)
    .withLabel("org.opencontainers.image.title", `lawyers-hub-${service}`);
}

/** Every image of the release, built in parallel. */
export async function buildAll(inputs: BuildInputs): Promise<Record<ImageService, Container>> {
  const built = await Promise.all(
    IMAGE_SERVICES.map(async (service) => [service, await (await buildImage(service, inputs)).sync()] as const),
  );
  return Object.fromEntries(built) as Record<ImageService, Container>;
}
