/**
 * Registry-free shipping: one `docker load` archive per shipment, assembled on the fly from the
 * release's image tarballs, that carries every image's manifest entry and config but only the
 * layers the target engine lacks (engine-layers.ts says which it has). An image the engine
 * already has (same image ID) is only tagged. Every layer that goes out is checked against its
 * diff ID first: a corrupt or truncated tarball is refused before the engine is sent a byte.
 */
import { createHash } from "node:crypto";
import { closeSync, createReadStream, openSync, readSync } from "node:fs";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import * as docker from "./docker.ts";
import { chainIds, type EngineLayers, engineLayers } from "./engine-layers.ts";
import type { Executor } from "./executor.ts";
import type { ArchiveLayer, ImageArchive } from "./image-archive.ts";
import { TAR_END, tarHeader, tarPadding } from "./tar-file.ts";

export interface ShippedImage {
  /** The name it gets on the engine: `<prefix>/<service>:<release>`. */
  ref: string;
  archive: ImageArchive;
}

/** A layer file of the archive that goes out, by diff ID (sent once however many images use it). */
interface OutgoingLayer {
  diffId: string;
  source: string;
  layer: ArchiveLayer;
}

export interface ShipmentPlan {
  /** Images the engine lacks: a manifest entry and config each. */
  load: ShippedImage[];
  /** Images the engine has already (same image ID): tagged, nothing sent. */
  tagOnly: ShippedImage[];
  layers: OutgoingLayer[];
  /** Layer uses the engine (or an earlier image of this shipment) already has. */
  layersSkipped: number;
}

export interface ShipmentResult {
  /** Bytes written to `docker load` (0 when nothing needed loading). */
  bytesSent: number;
  layersSent: number;
  layersSkipped: number;
  imagesLoaded: number;
  imagesTagged: number;
}

/** A layer whose data does not hash to its diff ID: the tarball is corrupt, truncated or altered. */
export class LayerDigestMismatch extends Error {
  override name = "LayerDigestMismatch";
}

const hex = (digest: string) => digest.slice("sha256:".length);
const layerName = (diffId: string) => `layers/${hex(diffId)}.tar`;
const configName = (imageId: string) => `configs/${hex(imageId)}.json`;

/** What goes out, given what the engine has. */
export function planShipment(images: readonly ShippedImage[], engine: EngineLayers): ShipmentPlan {
  const load = images.filter((image) => !engine.imageIds.has(image.archive.imageId));
  const tagOnly = images.filter((image) => engine.imageIds.has(image.archive.imageId));
  const outgoing = new Map<string, OutgoingLayer>();
  let layersSkipped = 0;
  for (const image of load) {
    const chains = chainIds(image.archive.layers.map((layer) => layer.diffId));
    image.archive.layers.forEach((layer, i) => {
      const known = engine.skipsKnownLayers && engine.chainIds.has(chains[i] ?? "");
      if (known || outgoing.has(layer.diffId)) {
        layersSkipped += 1;
        return;
      }
      outgoing.set(layer.diffId, { diffId: layer.diffId, source: image.archive.path, layer });
    });
  }
  return { load, tagOnly, layers: [...outgoing.values()], layersSkipped };
}

/** The `manifest.json` of the outgoing archive: every image, its tag, its layers by diff ID. */
export function loadManifest(load: readonly ShippedImage[]): Buffer {
  const items = load.map((image) => ({
    Config: configName(image.archive.imageId),
    RepoTags: [image.ref],
    Layers: image.archive.layers.map((layer) => layerName(layer.diffId)),
  }));
  return Buffer.from(JSON.stringify(items));
}

function startsWithGzip(path: string, offset: number): boolean {
  const fd = openSync(path, "r");
  try {
    const magic = Buffer.alloc(2);
    readSync(fd, magic, 0, 2, offset);
    return magic[0] === 0x1f && magic[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

function layerStream(layer: OutgoingLayer): Readable {
  const { offset, size } = layer.layer.entry;
  // An empty range would read the whole file: an empty layer file streams nothing.
  return size === 0 ? Readable.from([]) : createReadStream(layer.source, { start: offset, end: offset + size - 1 });
}

/** Hashes the layer's uncompressed tar and compares it with its diff ID. */
export async function verifyLayer(layer: OutgoingLayer): Promise<void> {
  const hash = createHash("sha256");
  const gzip = layer.layer.entry.size > 0 && startsWithGzip(layer.source, layer.layer.entry.offset);
  try {
    const source = layerStream(layer);
    const data = gzip ? source.pipe(createGunzip()) : source;
    if (gzip) source.on("error", (error) => data.destroy(error));
    for await (const chunk of data) hash.update(chunk as Buffer);
  } catch (error) {
    throw new LayerDigestMismatch(
      `layer ${layer.diffId} of ${layer.source} cannot be read (${(error as Error).message}): the tarball is corrupt or truncated; nothing was sent to the engine`,
    );
  }
  const actual = `sha256:${hash.digest("hex")}`;
  if (actual !== layer.diffId) {
    throw new LayerDigestMismatch(
      `layer ${layer.diffId} of ${layer.source} hashes to ${actual}: the tarball is corrupt or was altered; nothing was sent to the engine`,
    );
  }
}

/** The archive for `docker load`, as a stream; `counted` learns every byte written. */
export function shipmentArchive(plan: ShipmentPlan, counted: (bytes: number) => void): Readable {
  async function* entries(): AsyncGenerator<Buffer> {
    const file = function* (name: string, data: Buffer) {
      yield tarHeader(name, data.length);
      yield data;
      yield tarPadding(data.length);
    };
    yield* file("manifest.json", loadManifest(plan.load));
    const configs = new Map(plan.load.map((image) => [image.archive.imageId, image.archive.config]));
    for (const [id, config] of configs) yield* file(configName(id), config);
    for (const layer of plan.layers) {
      yield tarHeader(layerName(layer.diffId), layer.layer.entry.size);
      for await (const chunk of layerStream(layer)) yield chunk as Buffer;
      yield tarPadding(layer.layer.entry.size);
    }
    yield TAR_END;
  }
  return Readable.from(
    (async function* () {
      for await (const chunk of entries()) {
        counted(chunk.length);
        yield chunk;
      }
    })(),
  );
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** One line for the report: what went to the engine. */
export function describeShipment(result: ShipmentResult): string {
  const loaded = `${result.imagesLoaded} loaded, ${result.imagesTagged} already there`;
  return `sent ${mib(result.bytesSent)} (${result.bytesSent} bytes): ${result.layersSent} layers sent, ${result.layersSkipped} already on the engine; images ${loaded}`;
}

/**
 * Ships the images to the engine: asks what it has, checks every outgoing layer, streams one
 * archive into `docker load`, tags the images it had already, and checks that every name now
 * points at the image ID of its tarball.
 */
export async function shipImages(
  exec: Executor,
  images: readonly ShippedImage[],
  say: (line: string) => void,
): Promise<ShipmentResult> {
  const engine = await engineLayers(exec);
  const plan = planShipment(images, engine);
  say(
    `The engine has ${plan.tagOnly.length} of ${images.length} images and ${plan.layersSkipped} of the layers; sending ${plan.layers.length} layers...`,
  );
  for (const layer of plan.layers) await verifyLayer(layer);
  let bytesSent = 0;
  if (plan.load.length > 0) {
    const archive = shipmentArchive(plan, (bytes) => {
      bytesSent += bytes;
    });
    await exec.run(docker.loadImageStream(), { input: archive, show: "none" });
  }
  for (const image of plan.tagOnly) await exec.run(docker.tagImage(image.archive.imageId, image.ref), { show: "none" });
  if (engine.skipsKnownLayers) await checkNames(exec, images);
  return {
    bytesSent,
    layersSent: plan.layers.length,
    layersSkipped: plan.layersSkipped,
    imagesLoaded: plan.load.length,
    imagesTagged: plan.tagOnly.length,
  };
}

/** Every name points at its tarball's image ID (what runs is what was built). */
async function checkNames(exec: Executor, images: readonly ShippedImage[]): Promise<void> {
  const result = await exec.run(docker.inspectImages(images.map((image) => image.ref)), { show: "none" });
  const ids = result.stdout.split("\n").filter(Boolean);
  images.forEach((image, i) => {
    if (ids[i] !== image.archive.imageId) {
      throw new Error(
        `${image.ref} on the engine is ${ids[i] ?? "missing"}, not ${image.archive.imageId} of ${image.archive.path}`,
      );
    }
  });
}
