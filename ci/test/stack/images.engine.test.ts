/**
 * Shipping release images from tarballs (only the layers the engine lacks) and retention, on the real engine, with images of our own
 * prefix (tags of a small base image; removed afterwards).
 */
import { readFileSync, renameSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Executor } from "../../src/stack/executor.ts";
import { readImageArchive } from "../../src/stack/image-archive.ts";
import { LayerDigestMismatch } from "../../src/stack/layer-shipment.ts";
import { imagesToPrune } from "../../src/stack/retention.ts";
import { Stack } from "../../src/stack/stack.ts";
import { runProcess } from "../support/run-process.ts";
import { tempDir } from "../support/temp-dir.ts";
import { capturedOutput } from "./support/captured-output.ts";
import { BASE_IMAGE, docker, removeImagesAfterAll, requireEngine, uniqueName } from "./support/engine.ts";

requireEngine([BASE_IMAGE]);

const prefix = uniqueName();
removeImagesAfterAll(prefix);

function stack(): Stack {
  const { out } = capturedOutput();
  return new Stack(
    {
      env: "staging",
      sourceDir: "/nonexistent",
      projectDir: "/nonexistent",
      sync: false,
      project: { name: prefix, files: [], projectDirectory: "/nonexistent/compose", imagePrefix: prefix },
      operator: "lhstack-test",
    },
    new Executor(out, process.env),
  );
}

async function exists(ref: string): Promise<boolean> {
  return (await docker(["image", "inspect", ref])).code === 0;
}

/** An image of one new layer of `bytes` random bytes on the base: built, saved to `dir/<name>.tar`, then removed from the engine. */
async function savedAndRemoved(dir: string, name: string, bytes: number, from = BASE_IMAGE): Promise<string> {
  const tag = `${prefix}/build:${name}`;
  const dockerfile = `FROM ${from}\nRUN head -c ${bytes} /dev/urandom > /${name}.bin\n`;
  const built = await runProcess("docker", ["build", "--quiet", "--tag", tag, "-"], {
    input: dockerfile,
    env: { ...process.env, DOCKER_BUILDKIT: "1" },
    timeoutMs: 120_000,
  });
  expect(built.code, built.stderr).toBe(0);
  const path = join(dir, `${name}.tar`);
  expect((await docker(["save", "--output", path, tag])).code).toBe(0);
  return path;
}

async function imageId(ref: string): Promise<string> {
  return (await docker(["image", "inspect", "--format", "{{.Id}}", ref])).stdout.trim();
}

async function removeImage(ref: string): Promise<void> {
  expect((await docker(["image", "rm", "--force", ref])).code).toBe(0);
}

describe("release images on the real engine", () => {
  it("loads a docker save tarball and tags it <prefix>/<service>:<release>; the base layers are not sent", async () => {
    const dir = tempDir("lhstack-test-images-");
    const path = await savedAndRemoved(dir, "api1", 300_000);
    const built = await imageId(`${prefix}/build:api1`);
    await removeImage(`${prefix}/build:api1`);
    renameSync(path, join(dir, "api.tar"));
    const result = await stack().loadImages(dir, "r1", ["api"]);
    // One layer of 300 kB plus headers, the manifest and the config: never the base image's layers.
    expect(result).toMatchObject({ layersSent: 1, imagesLoaded: 1, imagesTagged: 0 });
    expect(result.layersSkipped).toBeGreaterThan(0);
    expect(result.bytesSent).toBeGreaterThan(300_000);
    expect(result.bytesSent).toBeLessThan(320_000);
    expect(await imageId(`${prefix}/api:r1`)).toBe(built);
  }, 180_000);

  it("the same images again send nothing: they are only tagged", async () => {
    const dir = tempDir("lhstack-test-images-");
    await docker(["tag", BASE_IMAGE, `${prefix}/build:web`]);
    expect((await docker(["save", "--output", join(dir, "web.tar"), `${prefix}/build:web`])).code).toBe(0);
    const result = await stack().loadImages(dir, "r1", ["web"]);
    expect(result).toMatchObject({ bytesSent: 0, layersSent: 0, imagesLoaded: 0, imagesTagged: 1 });
    expect(await imageId(`${prefix}/web:r1`)).toBe(await imageId(BASE_IMAGE));
  }, 120_000);

  it("two images that share a new layer: it travels once, and both load", async () => {
    const dir = tempDir("lhstack-test-images-");
    await savedAndRemoved(dir, "shared", 200_000);
    const worker = await savedAndRemoved(dir, "worker", 100_000, `${prefix}/build:shared`);
    const ops = await savedAndRemoved(dir, "opsx", 50_000, `${prefix}/build:shared`);
    renameSync(worker, join(dir, "worker.tar"));
    renameSync(ops, join(dir, "ops.tar"));
    const ids = { worker: await imageId(`${prefix}/build:worker`), ops: await imageId(`${prefix}/build:opsx`) };
    for (const name of ["worker", "opsx", "shared"]) await removeImage(`${prefix}/build:${name}`);
    const result = await stack().loadImages(dir, "r2", ["worker", "ops"]);
    expect(result).toMatchObject({ layersSent: 3, imagesLoaded: 2 });
    expect(result.bytesSent).toBeGreaterThan(350_000);
    expect(result.bytesSent).toBeLessThan(380_000);
    expect(await imageId(`${prefix}/worker:r2`)).toBe(ids.worker);
    expect(await imageId(`${prefix}/ops:r2`)).toBe(ids.ops);
  }, 240_000);

  it("a corrupted or truncated layer is refused before anything reaches the engine", async () => {
    const dir = tempDir("lhstack-test-images-");
    const path = await savedAndRemoved(dir, "corrupt", 100_000);
    await removeImage(`${prefix}/build:corrupt`);
    renameSync(path, join(dir, "api.tar"));
    const tarball = join(dir, "api.tar");
    const archive = readImageArchive(tarball);
    expect(await exists(archive.imageId)).toBe(false);
    const layer = archive.layers.at(-1)?.entry;
    const bytes = readFileSync(tarball);
    const at = (layer?.offset ?? 0) + 50_000;
    bytes[at] = (bytes[at] ?? 0) ^ 0x01;
    writeFileSync(tarball, bytes);
    const corrupt = await stack()
      .loadImages(dir, "r3", ["api"])
      .catch((error) => error);
    expect(corrupt).toBeInstanceOf(LayerDigestMismatch);
    expect(corrupt.message).toMatch(
      /hashes to sha256:[0-9a-f]{64}: the tarball is corrupt or was altered; nothing was sent/,
    );
    truncateSync(tarball, (layer?.offset ?? 0) + 40_000);
    const truncated = await stack()
      .loadImages(dir, "r3", ["api"])
      .catch((error) => error);
    expect(truncated.message).toMatch(/api\.tar is truncated/);
    expect(await exists(`${prefix}/api:r3`)).toBe(false);
    // The tarball's image is not on the engine under any name. (Not a comparison of the engine's
    // whole image list: other files of this tier, and the test recipe beside it, build images.)
    expect(await exists(archive.imageId)).toBe(false);
  }, 180_000);

  it("names the images of a release the engine does not have", async () => {
    expect(await stack().missingImages("r1", ["api", "web", "ops"])).toEqual([`${prefix}/ops:r1`]);
  });

  it("a missing tarball fails naming it", async () => {
    const failed = await stack()
      .loadImages(tempDir("lhstack-test-images-"), "r1", ["worker"])
      .catch((error) => error);
    expect(failed.message).toMatch(/\/worker\.tar cannot be read: ENOENT/);
  });

  it("after seven releases, retention leaves only the last five releases' images", async () => {
    const releases = ["r1", "r2", "r3", "r4", "r5", "r6", "r7"];
    for (const release of releases) {
      for (const service of ["api", "ops"]) await docker(["tag", BASE_IMAGE, `${prefix}/${service}:${release}`]);
    }
    const target = stack();
    const present = await target.presentImages();
    const stale = imagesToPrune(present, [...releases].reverse(), "r7", prefix);
    await target.removeImages(stale);
    const left = (await target.presentImages()).filter((ref) => /\/(api|ops):r\d$/.test(ref)).sort();
    expect(left).toEqual(
      ["r3", "r4", "r5", "r6", "r7"]
        .flatMap((release) => [`${prefix}/api:${release}`, `${prefix}/ops:${release}`])
        .sort(),
    );
    expect(await exists(BASE_IMAGE)).toBe(true);
  }, 120_000);
});
