/**
 * One image tarball as `docker save` writes it (a `manifest.json` naming the config and the layer
 * files; Docker 25 and later add an OCI layout beside it) or as an OCI archive (Dagger's
 * `asTarball()`: `index.json`, manifests and blobs by digest). What lh-ci needs of it: the
 * image's config (its sha256 is the image ID), the layers' diff IDs from the config's
 * `rootfs.diff_ids`, and where each layer's data lies in the file (plain tar or gzip).
 */
import { createHash } from "node:crypto";
import { indexTar, readEntry, type TarEntry, TarError } from "./tar-file.ts";

export interface ArchiveLayer {
  /** `sha256:...` of the layer's uncompressed tar, from the config. */
  diffId: string;
  entry: TarEntry;
}

export interface ImageArchive {
  path: string;
  /** `sha256:...` of the config: the image ID on an engine with the classic image store. */
  imageId: string;
  config: Buffer;
  layers: ArchiveLayer[];
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const INDEX_TYPES = new Set([
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
]);

export function sha256(data: Buffer): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

function parseJson<T>(path: string, what: string, data: Buffer): T {
  try {
    return JSON.parse(data.toString("utf8")) as T;
  } catch (error) {
    throw new Error(`${path}: ${what} is not valid JSON (${(error as Error).message})`);
  }
}

class ArchiveReader {
  readonly path: string;
  readonly entries: Map<string, TarEntry>;

  constructor(path: string) {
    this.path = path;
    try {
      this.entries = indexTar(path);
    } catch (error) {
      if (error instanceof TarError) throw error;
      throw new Error(`${path} cannot be read: ${(error as Error).message}`);
    }
  }

  entry(name: string, what: string): TarEntry {
    const found = this.entries.get(name.replace(/^\.\//, ""));
    if (!found) throw new Error(`${this.path}: ${what} ${name} is not in the archive`);
    return found;
  }

  read(name: string, what: string): Buffer {
    return readEntry(this.path, this.entry(name, what));
  }

  /** A blob of the OCI layout, checked against its digest (a manifest or config: small). */
  blob(digest: string, what: string): Buffer {
    if (!DIGEST.test(digest)) throw new Error(`${this.path}: ${what} has no sha256 digest (${digest})`);
    const data = this.read(blobName(digest), what);
    if (sha256(data) !== digest) throw new Error(`${this.path}: ${what} ${digest} does not match its digest`);
    return data;
  }
}

function blobName(digest: string): string {
  return `blobs/sha256/${digest.slice("sha256:".length)}`;
}

/** The config's diff IDs, one per layer. */
function diffIds(path: string, config: Buffer): string[] {
  const parsed = parseJson<{ rootfs?: { diff_ids?: unknown } }>(path, "the image config", config);
  const ids = parsed.rootfs?.diff_ids;
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string" && DIGEST.test(id))) {
    throw new Error(`${path}: the image config has no rootfs.diff_ids of sha256 digests`);
  }
  return ids as string[];
}

function fromDockerManifest(reader: ArchiveReader): ImageArchive {
  const items = parseJson<{ Config?: string; Layers?: string[] }[]>(
    reader.path,
    "manifest.json",
    reader.read("manifest.json", "the manifest"),
  );
  if (!Array.isArray(items) || items.length !== 1) {
    throw new Error(
      `${reader.path}: manifest.json lists ${items?.length ?? 0} images; each tarball must hold exactly one`,
    );
  }
  const [item] = items as [{ Config?: string; Layers?: string[] }];
  if (!item.Config || !Array.isArray(item.Layers))
    throw new Error(`${reader.path}: manifest.json has no Config or Layers`);
  const config = reader.read(item.Config, "the config");
  // docker save names the config by its digest (`<hex>.json` or `blobs/sha256/<hex>`): it must match.
  const named = /([0-9a-f]{64})(\.json)?$/.exec(item.Config)?.[1];
  if (named && sha256(config) !== `sha256:${named}`) {
    throw new Error(`${reader.path}: the config ${item.Config} does not match its digest`);
  }
  const ids = diffIds(reader.path, config);
  if (ids.length !== item.Layers.length) {
    throw new Error(`${reader.path}: manifest.json lists ${item.Layers.length} layers, the config ${ids.length}`);
  }
  const layers = ids.map((diffId, i) => ({ diffId, entry: reader.entry(item.Layers?.[i] ?? "", "the layer") }));
  return { path: reader.path, imageId: sha256(config), config, layers };
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  platform?: { os?: string; architecture?: string };
}

function fromOciLayout(reader: ArchiveReader): ImageArchive {
  const index = parseJson<{ manifests?: Descriptor[] }>(
    reader.path,
    "index.json",
    reader.read("index.json", "the index"),
  );
  let descriptor = index.manifests?.[0];
  // Nested indexes (one per platform): follow this machine's linux platform, else the first.
  for (let depth = 0; descriptor && INDEX_TYPES.has(descriptor.mediaType ?? ""); depth++) {
    if (depth > 4) throw new Error(`${reader.path}: index.json nests indexes too deep`);
    const nested = parseJson<{ manifests?: Descriptor[] }>(
      reader.path,
      "an index",
      reader.blob(descriptor.digest, "index"),
    );
    const arch = process.arch === "x64" ? "amd64" : process.arch;
    descriptor =
      nested.manifests?.find((m) => m.platform?.os === "linux" && m.platform.architecture === arch) ??
      nested.manifests?.[0];
  }
  if (!descriptor) throw new Error(`${reader.path}: index.json names no image manifest`);
  const manifest = parseJson<{ config?: Descriptor; layers?: Descriptor[] }>(
    reader.path,
    "the image manifest",
    reader.blob(descriptor.digest, "the image manifest"),
  );
  if (!manifest.config || !Array.isArray(manifest.layers)) {
    throw new Error(`${reader.path}: the image manifest has no config or layers`);
  }
  const config = reader.blob(manifest.config.digest, "the config");
  const ids = diffIds(reader.path, config);
  if (ids.length !== manifest.layers.length) {
    throw new Error(`${reader.path}: the manifest lists ${manifest.layers.length} layers, the config ${ids.length}`);
  }
  const layers = ids.map((diffId, i) => ({
    diffId,
    entry: reader.entry(blobName(manifest.layers?.[i]?.digest ?? ""), "the layer"),
  }));
  return { path: reader.path, imageId: sha256(config), config, layers };
}

/** Reads an image tarball's index, manifest and config; fails naming the file and what is wrong. */
export function readImageArchive(path: string): ImageArchive {
  const reader = new ArchiveReader(path);
  if (reader.entries.has("manifest.json")) return fromDockerManifest(reader);
  if (reader.entries.has("index.json")) return fromOciLayout(reader);
  throw new Error(`${path}: neither manifest.json nor index.json: not an image tarball (docker save or OCI archive)`);
}
