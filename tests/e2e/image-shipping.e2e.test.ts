import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readImageArchive } from "../../ci/src/stack/image-archive.ts";
import { type DeployTarget, prepareDeployTarget, deployReport as report } from "./support/deploy-target.ts";
import { docker, run, transcript } from "./support/docker.ts";
import { IMAGE_SERVICES } from "./support/images.ts";
import { E2ERegistry } from "./support/registry.ts";
import { phase } from "./support/timing.ts";

// How a release's images reach the engine, both ways `lh-ci deploy` offers: registry mode (the
// images published by digest to a registry with authentication, pulled by digest, compose running
// those digests) and registry-free mode (only the layers the engine lacks, in one docker load,
// each checked against its digest first), on the real stack.

const PROJECT = "lhstack-e2e-ship";
const PREFIX = "lhship-e2e";
const A = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).trim();
/** A with one line of the worker changed. */
const B = "b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1";
/** B's images with the worker's tarball corrupted. */
const C = "c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1";

let target: DeployTarget;
const registry = new E2ERegistry();
const scratch = mkdtempSync(join(tmpdir(), "lhship-e2e-"));
const tarballs = join(scratch, "images-b");

beforeAll(async () => {
  target = await prepareDeployTarget(PROJECT, PREFIX, A);
  await registry.start();
}, 3_600_000);

afterAll(async () => {
  try {
    await target?.cleanUp();
  } finally {
    await registry.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}, 600_000);

function step(stdout: string, name: string) {
  return report(stdout).steps.find((entry) => entry.step === name);
}

/** `release`: A's images, its worker built from a copy of HEAD with one more line in its main.ts. */
async function buildWorkerChange(name: string, release: string): Promise<void> {
  const source = join(scratch, name);
  mkdirSync(source);
  await run("git", ["archive", "--format=tar", "--output", join(scratch, `${name}.tar`), "HEAD"], {});
  await run("tar", ["--extract", "--file", join(scratch, `${name}.tar`), "--directory", source]);
  const main = join(source, "apps", "worker", "src", "main.ts");
  writeFileSync(main, `${readFileSync(main, "utf8")}// release ${name}\n`);
  await target.build(source, release, ["worker"]);
  await target.tag(A, release, ["api", "web", "ai-gateway", "browser-check", "ops"]);
}

async function imageId(ref: string): Promise<string> {
  return (await docker(["image", "inspect", "--format", "{{.Id}}", ref])).stdout.trim();
}

describe("shipping a release's images to the engine", () => {
  let refs: string[] = [];

  it("registry mode: A published by digest, a wrong password refused before the target is touched", async () => {
    refs = [];
    for (const service of IMAGE_SERVICES) {
      refs.push(
        `${service}=${await phase(`push ${service}`, () => registry.push(target.ref(service, A), service, A))}`,
      );
    }
    // The engine must get A from the registry: its names of A go (the layers stay, as on a host
    // that ran an earlier release).
    await target.removeImages();
    const digests = refs.map((ref) => ref.slice(ref.indexOf("=") + 1));
    await docker(["image", "rm", "--force", ...digests], { allowFailure: true });
    const imageArgs = refs.flatMap((ref) => ["--image", ref]);
    const wrong = await target.lhCi(["deploy", "--release", A, ...imageArgs, "--json"], 600_000, {
      ...process.env,
      REGISTRY_USERNAME: registry.username,
      REGISTRY_PASSWORD: "wrong-password-canary-0123",
    });
    expect(wrong.code).toBe(1);
    expect(step(wrong.stdout, "lock")).toMatchObject({ status: "failed" });
    expect(report(wrong.stdout).messages.join("\n")).toContain("the target was not touched");
    expect(wrong.output).not.toContain("wrong-password-canary-0123");
  });

  it("registry mode: the engine pulls A by digest with the login, compose runs those digests, the ledger records them", async () => {
    const imageArgs = refs.flatMap((ref) => ["--image", ref]);
    const result = await phase("deploy A (registry)", () =>
      target.lhCi(["deploy", "--release", A, ...imageArgs, "--json"], 900_000, {
        ...process.env,
        REGISTRY_USERNAME: registry.username,
        REGISTRY_PASSWORD: registry.password,
      }),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(step(result.stdout, "load")?.detail).toMatch(/pulled by digest/);
    const api = refs.find((ref) => ref.startsWith("api="))?.slice("api=".length) ?? "";
    // The api runs the image of that digest (compose was given the reference by digest).
    const container = await docker([
      "container",
      "ls",
      "--quiet",
      "--filter",
      `label=com.docker.compose.project=${PROJECT}`,
      "--filter",
      "label=com.docker.compose.service=api",
    ]);
    const running = await docker(["container", "inspect", "--format", "{{.Image}}", container.stdout.trim()]);
    expect(running.stdout.trim()).toBe(await imageId(api));
    expect((await docker(["image", "inspect", "--format", "{{json .RepoDigests}}", api])).stdout).toContain(api);
    const listed = await target.ops(["releases", "list", "--json"]);
    expect(listed.code, listed.stderr).toBe(0);
    const ledger = JSON.parse(listed.stdout) as {
      images?: Record<string, string>;
    }[];
    expect(ledger[0]?.images?.api).toBe(api);
    // The login lived in a throwaway client configuration: nothing of it is in the user's.
    const ownConfig = join(process.env.DOCKER_CONFIG ?? join(homedir(), ".docker"), "config.json");
    let own = "";
    try {
      own = readFileSync(ownConfig, "utf8");
    } catch {}
    expect(own).not.toContain(registry.host);
    expect(result.output).not.toContain(registry.password);
  });

  it("registry-free mode: B (one line of the worker changed) sends only the worker's new layers", async () => {
    await buildWorkerChange("b", B);
    mkdirSync(tarballs);
    for (const service of IMAGE_SERVICES) {
      await phase(`save ${service}`, () =>
        docker(["save", "--output", join(tarballs, `${service}.tar`), target.ref(service, B)], { timeoutMs: 600_000 }),
      );
    }
    const worker = readImageArchive(join(tarballs, "worker.tar")).imageId;
    await docker(["image", "rm", ...IMAGE_SERVICES.map((service) => target.ref(service, B))]);
    const result = await phase("deploy B (registry-free)", () =>
      target.lhCi(["deploy", "--release", B, "--images", tarballs, "--json"]),
    );
    expect(result.code, result.stderr).toBe(0);
    const detail = step(result.stdout, "load")?.detail ?? "";
    const sent = Number(/\((\d+) bytes\)/.exec(detail)?.[1]);
    // The worker's tarball is hundreds of MiB; its changed source layer is a few KiB.
    expect(sent, detail).toBeGreaterThan(0);
    expect(sent, detail).toBeLessThan(2 * 1024 * 1024);
    expect(detail).toMatch(/images 1 loaded, 5 already there/);
    expect(await imageId(target.ref("worker", B))).toBe(worker);
    expect(await target.current()).toBe(B);
  });

  it("a corrupted layer is refused before anything changes on the engine; a redeploy of B sends nothing", async () => {
    // C: another line changed, its worker tarball corrupted in the layer the engine lacks.
    await buildWorkerChange("c", C);
    const corrupt = join(scratch, "images-c");
    mkdirSync(corrupt);
    for (const service of IMAGE_SERVICES) {
      if (service !== "worker") cpSync(join(tarballs, `${service}.tar`), join(corrupt, `${service}.tar`));
    }
    const path = join(corrupt, "worker.tar");
    await docker(["save", "--output", path, target.ref("worker", C)], { timeoutMs: 600_000 });
    await docker(["image", "rm", ...IMAGE_SERVICES.map((service) => target.ref(service, C))]);
    const known = new Set(readImageArchive(join(tarballs, "worker.tar")).layers.map((layer) => layer.diffId));
    const fresh = readImageArchive(path).layers.find((layer) => !known.has(layer.diffId) && layer.entry.size > 1024);
    expect(fresh, "C's worker has a layer of its own").toBeDefined();
    const bytes = readFileSync(path);
    const at = (fresh?.entry.offset ?? 0) + Math.floor((fresh?.entry.size ?? 0) / 2);
    bytes[at] = (bytes[at] ?? 0) ^ 0x20;
    writeFileSync(path, bytes);
    // The engine's images (by ID; the lock step's tag of the unchanged ops image names no new one).
    const imageIds = async () =>
      [...new Set((await docker(["image", "ls", "--all", "--quiet", "--no-trunc"])).stdout.split("\n"))].sort();
    const before = await imageIds();
    const refused = await target.lhCi(["deploy", "--release", C, "--images", corrupt, "--json"]);
    expect(refused.code).toBe(1);
    expect(step(refused.stdout, "load")).toMatchObject({ status: "failed" });
    expect(step(refused.stdout, "load")?.detail).toMatch(/the tarball is corrupt or was altered; nothing was sent/);
    expect((await docker(["image", "inspect", target.ref("worker", C)], { allowFailure: true })).code).not.toBe(0);
    expect(await imageIds()).toEqual(before);
    expect(await target.current()).toBe(B);

    const again = await phase("redeploy B (registry-free)", () =>
      target.lhCi(["deploy", "--release", B, "--images", tarballs, "--json"]),
    );
    expect(again.code, again.stderr).toBe(0);
    expect(step(again.stdout, "load")?.detail).toMatch(/sent 0\.0 MiB \(0 bytes\)/);
  });

  it("the registry password appears in nothing any command printed", () => {
    expect(transcript.join("\n")).not.toContain(registry.password);
  });
});
