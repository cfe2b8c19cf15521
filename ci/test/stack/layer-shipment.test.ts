/**
 * Image tarballs read by lh-ci and the `docker load` archive it assembles from them, on files
 * written here in both formats (docker save's manifest.json, an OCI layout with gzip layers).
 * The engine side is in images.engine.test.ts.
 */
import { createHash } from "node:crypto";
import { readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { addCounts } from "../../src/stack/counts.ts";
import { chainIds, parseImageLayers, usesContainerdStore } from "../../src/stack/engine-layers.ts";
import { readImageArchive } from "../../src/stack/image-archive.ts";
import {
  LayerDigestMismatch,
  planShipment,
  type ShippedImage,
  shipmentArchive,
  verifyLayer,
} from "../../src/stack/layer-shipment.ts";
import { indexTar, readEntry, TAR_END, TarError, tarHeader, tarPadding } from "../../src/stack/tar-file.ts";
import { tempDir } from "../support/temp-dir.ts";

const sha = (data: Buffer) => `sha256:${createHash("sha256").update(data).digest("hex")}`;
const hex = (digest: string) => digest.slice("sha256:".length);

function tar(files: Record<string, Buffer>): Buffer {
  return Buffer.concat([
    ...Object.entries(files).flatMap(([name, data]) => [tarHeader(name, data.length), data, tarPadding(data.length)]),
    TAR_END,
  ]);
}

function config(layers: Buffer[], label: string): Buffer {
  return Buffer.from(JSON.stringify({ label, rootfs: { type: "layers", diff_ids: layers.map(sha) } }));
}

/** A docker save tarball (Docker 20.10 names: `<hex>.json`, `<dir>/layer.tar`). */
function dockerSave(dir: string, name: string, layers: Buffer[], label = name): string {
  const cfg = config(layers, label);
  const files: Record<string, Buffer> = {};
  const paths = layers.map((layer, i) => {
    const path = `${hex(sha(layer)).slice(0, 12)}${i}/layer.tar`;
    files[path] = layer;
    return path;
  });
  files[`${hex(sha(cfg))}.json`] = cfg;
  files["manifest.json"] = Buffer.from(
    JSON.stringify([{ Config: `${hex(sha(cfg))}.json`, RepoTags: null, Layers: paths }]),
  );
  const path = join(dir, `${name}.tar`);
  writeFileSync(path, tar(files));
  return path;
}

/** An OCI archive as Dagger's asTarball writes it: index.json, gzip layers, blobs by digest. */
function ociArchive(dir: string, name: string, layers: Buffer[]): string {
  const cfg = config(layers, name);
  const blobs = new Map<string, Buffer>();
  const add = (data: Buffer) => {
    blobs.set(`blobs/sha256/${hex(sha(data))}`, data);
    return sha(data);
  };
  const layerDescriptors = layers.map((layer) => {
    const gz = gzipSync(layer);
    return { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: add(gz), size: gz.length };
  });
  const manifest = Buffer.from(
    JSON.stringify({ config: { digest: add(cfg), size: cfg.length }, layers: layerDescriptors }),
  );
  const index = { manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: add(manifest) }] };
  const path = join(dir, `${name}.tar`);
  writeFileSync(
    path,
    tar({
      "oci-layout": Buffer.from('{"imageLayoutVersion":"1.0.0"}'),
      "index.json": Buffer.from(JSON.stringify(index)),
      ...Object.fromEntries(blobs),
    }),
  );
  return path;
}

const base = Buffer.from("base layer ".repeat(300));
const app = Buffer.from("app layer ".repeat(200));
const other = Buffer.from("other app layer ".repeat(100));

function image(ref: string, path: string): ShippedImage {
  return { ref, archive: readImageArchive(path) };
}

const nothing = { imageIds: new Set<string>(), chainIds: new Set<string>(), skipsKnownLayers: true };

describe("image tarballs", () => {
  it("reads a docker save tarball: image ID, diff IDs, where each layer lies", () => {
    const path = dockerSave(tempDir(), "api", [base, app]);
    const archive = readImageArchive(path);
    expect(archive.imageId).toBe(sha(config([base, app], "api")));
    expect(archive.layers.map((layer) => layer.diffId)).toEqual([sha(base), sha(app)]);
    expect(readEntry(path, archive.layers[1]?.entry as never)).toEqual(app);
  });

  it("reads an OCI archive with gzip layers and checks each layer against its diff ID", async () => {
    const path = ociArchive(tempDir(), "web", [base, app]);
    const archive = readImageArchive(path);
    expect(archive.layers.map((layer) => layer.diffId)).toEqual([sha(base), sha(app)]);
    const [layer] = planShipment([{ ref: "p/web:r", archive }], nothing).layers;
    await expect(verifyLayer(layer as never)).resolves.toBeUndefined();
  });

  it("a truncated tarball is refused naming the file and the entry cut short", () => {
    const path = dockerSave(tempDir(), "api", [base, app]);
    truncateSync(path, readFileSync(path).length - 2000);
    expect(() => readImageArchive(path)).toThrow(TarError);
    expect(() => readImageArchive(path)).toThrow(/api\.tar is truncated/);
  });

  it("a layer whose bytes changed is refused: its digest is not its diff ID", async () => {
    const path = dockerSave(tempDir(), "api", [base, app]);
    const archive = readImageArchive(path);
    const entry = archive.layers[1]?.entry;
    const bytes = readFileSync(path);
    const at = (entry?.offset ?? 0) + 10;
    bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    writeFileSync(path, bytes);
    const plan = planShipment([image("p/api:r", path)], nothing);
    // One at a time: a rejection that settles while an earlier check is awaited has no handler yet.
    const [unchanged, changed] = plan.layers;
    if (!unchanged || !changed) throw new Error("the archive should have two layers");
    await expect(verifyLayer(unchanged)).resolves.toBeUndefined();
    const refusal = verifyLayer(changed);
    await expect(refusal).rejects.toThrow(LayerDigestMismatch);
    await expect(refusal).rejects.toThrow(/nothing was sent to the engine/);
  });

  it("an archive that is not an image says so", () => {
    const path = join(tempDir(), "x.tar");
    writeFileSync(path, tar({ "hello.txt": Buffer.from("hi") }));
    expect(() => readImageArchive(path)).toThrow(/neither manifest\.json nor index\.json/);
  });
});

describe("the shipment plan", () => {
  it("a first shipment sends each shared layer once", () => {
    const dir = tempDir();
    const plan = planShipment(
      [image("p/api:r", dockerSave(dir, "api", [base, app])), image("p/web:r", ociArchive(dir, "web", [base, other]))],
      nothing,
    );
    expect(plan.layers.map((layer) => layer.diffId)).toEqual([sha(base), sha(app), sha(other)]);
    expect(plan.layersSkipped).toBe(1);
  });

  it("layers whose chain the engine has stay behind; the same diff ID on another parent does not", () => {
    const dir = tempDir();
    const engine = { ...nothing, chainIds: new Set(chainIds([sha(base)])) };
    const plan = planShipment(
      [
        image("p/api:r", dockerSave(dir, "api", [base, app])),
        image("p/web:r", dockerSave(dir, "web", [other, base], "web-other-order")),
      ],
      engine,
    );
    expect(plan.layers.map((layer) => layer.diffId)).toEqual([sha(app), sha(other), sha(base)]);
  });

  it("an image the engine has (same image ID) is only tagged; on containerd's store every layer goes", () => {
    const dir = tempDir();
    const api = image("p/api:r", dockerSave(dir, "api", [base, app]));
    const tagged = planShipment([api], { ...nothing, imageIds: new Set([api.archive.imageId]) });
    expect(tagged).toMatchObject({ load: [], tagOnly: [api], layers: [] });
    const containerd = planShipment([api], {
      ...nothing,
      chainIds: new Set(chainIds([sha(base), sha(app)])),
      skipsKnownLayers: false,
    });
    expect(containerd.layers).toHaveLength(2);
  });

  it("the archive holds the manifest, every config and only the outgoing layers, and counts its bytes", async () => {
    const dir = tempDir();
    const api = image("p/api:r", dockerSave(dir, "api", [base, app]));
    const plan = planShipment([api], { ...nothing, chainIds: new Set(chainIds([sha(base)])) });
    let counted = 0;
    const chunks: Buffer[] = [];
    for await (const chunk of shipmentArchive(plan, (bytes) => {
      counted += bytes;
    }))
      chunks.push(chunk as Buffer);
    const out = join(dir, "out.tar");
    writeFileSync(out, Buffer.concat(chunks));
    expect(counted).toBe(readFileSync(out).length);
    const entries = indexTar(out);
    expect([...entries.keys()].sort()).toEqual(
      ["manifest.json", `configs/${hex(api.archive.imageId)}.json`, `layers/${hex(sha(app))}.tar`].sort(),
    );
    const manifest = JSON.parse(readEntry(out, entries.get("manifest.json") as never).toString());
    expect(manifest).toEqual([
      {
        Config: `configs/${hex(api.archive.imageId)}.json`,
        RepoTags: ["p/api:r"],
        Layers: [`layers/${hex(sha(base))}.tar`, `layers/${hex(sha(app))}.tar`],
      },
    ]);
    expect(readEntry(out, entries.get(`layers/${hex(sha(app))}.tar`) as never)).toEqual(app);
  });
});

describe("the load step's tally", () => {
  it("adds the ops image's shipment to the apps'", () => {
    const ops = { bytesSent: 10, layersSent: 1, layersSkipped: 2, imagesLoaded: 1, imagesTagged: 0 };
    const apps = { bytesSent: 5, layersSent: 2, layersSkipped: 9, imagesLoaded: 1, imagesTagged: 3 };
    expect(addCounts(apps, ops)).toEqual({
      bytesSent: 15,
      layersSent: 3,
      layersSkipped: 11,
      imagesLoaded: 2,
      imagesTagged: 3,
    });
    expect(addCounts(apps, undefined)).toBe(apps);
  });
});

describe("what the engine says it has", () => {
  it("chain IDs follow the OCI definition", () => {
    const [first, second] = chainIds([sha(base), sha(app)]);
    expect(first).toBe(sha(base));
    expect(second).toBe(sha(Buffer.from(`${sha(base)} ${sha(app)}`)));
  });

  it("parses docker image inspect lines and tells the containerd image store apart", () => {
    expect(parseImageLayers(`sha256:1 ["sha256:a","sha256:b"]\nsha256:2 null\n`)).toEqual([
      { id: "sha256:1", layers: ["sha256:a", "sha256:b"] },
      { id: "sha256:2", layers: [] },
    ]);
    expect(usesContainerdStore('[["driver-type","io.containerd.snapshotter.v1"]]')).toBe(true);
    expect(usesContainerdStore('[["Backing Filesystem","extfs"],["Supports d_type","true"]]')).toBe(false);
  });
});
