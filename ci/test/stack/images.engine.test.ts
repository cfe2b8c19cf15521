/**
 * Loading release images from tarballs and retention, on the real engine, with images of our own
 * prefix (tags of a small base image; removed afterwards).
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Executor } from "../../src/stack/executor.ts";
import { imagesToPrune } from "../../src/stack/retention.ts";
import { Stack } from "../../src/stack/stack.ts";
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

describe("release images on the real engine", () => {
  it("loads a docker save tarball and tags it <prefix>/<service>:<release>", async () => {
    const dir = tempDir("lhstack-test-images-");
    await docker(["tag", BASE_IMAGE, `${prefix}/build:api`]);
    expect((await docker(["save", "--output", join(dir, "api.tar"), `${prefix}/build:api`])).code).toBe(0);
    const loaded = await stack().loadImages(dir, "r1", ["api"]);
    expect(loaded).toEqual([`${prefix}/api:r1`]);
    expect(await exists(`${prefix}/api:r1`)).toBe(true);
  }, 120_000);

  it("loads an archive that carries no name (as Dagger's asTarball) by its image ID", async () => {
    const dir = tempDir("lhstack-test-images-");
    const id = (await docker(["image", "inspect", "--format", "{{.Id}}", BASE_IMAGE])).stdout.trim();
    expect((await docker(["save", "--output", join(dir, "web.tar"), id])).code).toBe(0);
    await stack().loadImages(dir, "r1", ["web"]);
    expect(await exists(`${prefix}/web:r1`)).toBe(true);
  }, 120_000);

  it("names the images of a release the engine does not have", async () => {
    expect(await stack().missingImages("r1", ["api", "web", "ops"])).toEqual([`${prefix}/ops:r1`]);
  });

  it("a missing tarball fails naming it and what docker said", async () => {
    const failed = await stack()
      .loadImages(tempDir("lhstack-test-images-"), "r1", ["worker"])
      .catch((error) => error);
    expect(failed.message).toMatch(/^docker load --input \/\S+\/worker\.tar exited with 1: .*no such file/i);
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
