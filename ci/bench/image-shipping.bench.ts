// Bytes a deploy sends to the target engine for its five images, in both modes of lh-ci deploy,
// beside today's whole tarballs (five `docker save` files, every deploy), measured in one run on
// this checkout's real images (e2e base images of tests/e2e/provision.sh):
//   (a) a first deploy onto an empty engine,
//   (b) a release whose only change is one line of one app (the worker),
//   (c) a redeploy of that release.
// Registry-free: (b) and (c) are real `docker load`s counted byte by byte; (a) is the archive
// lh-ci assembles for an engine with no images, counted but not loaded (the shared engine is not
// emptied). Registry mode: the registry stand-in behind a byte-counting proxy; (b) and (c) are
// real pulls by digest through it; (a) is the sum of the registry's blobs for the release (what
// an empty engine downloads). Targets: (b) within twice the size of the layers that changed,
// (c) zero.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { Output } from "../src/output/output.ts";
import { chainIds } from "../src/stack/engine-layers.ts";
import { Executor } from "../src/stack/executor.ts";
import { readImageArchive } from "../src/stack/image-archive.ts";
import { IMAGE_SERVICES, type ImageService } from "../src/stack/images.ts";
import { planShipment, type ShippedImage, shipImages, shipmentArchive } from "../src/stack/layer-shipment.ts";
import { pullByDigest } from "../src/stack/registry-images.ts";
import { countingProxy } from "./byte-counting-proxy.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NODE_IMAGE = "lh-e2e/node:24-bookworm-slim";
const REGISTRY_IMAGE = "lh-e2e/registry:2";
/** The four services share apps/Dockerfile (chosen by the build argument APP); the others have their own. */
const DOCKERFILES: Record<ImageService, string> = {
  api: "apps/Dockerfile",
  web: "apps/Dockerfile",
  "ai-gateway": "apps/Dockerfile",
  worker: "apps/Dockerfile",
  "browser-check": "packages/browser-check/Dockerfile",
  ops: "ci/Dockerfile",
};
const CA = process.env.LH_E2E_EXTRA_CA ?? "/etc/ssl/certs/ca-certificates.crt";
const name = `lhship-bench-${randomBytes(4).toString("hex")}`;
const scratch = mkdtempSync(join(tmpdir(), "lhship-bench-"));
const ref = (service: ImageService, release: string) => `${name}/${service}:${release}`;
const MiB = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB (${bytes} bytes)`;
const exec = new Executor(new Output(new Writable({ write: (_c, _e, done) => done() })), process.env);
const say = () => {};

function docker(args: string[], input?: string): string {
  const result = spawnSync("docker", args, {
    encoding: "utf8",
    input,
    env: { ...process.env, DOCKER_BUILDKIT: "1" },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`docker ${args.join(" ")} failed:\n${result.stderr.slice(-3000)}`);
  return result.stdout;
}

function build(context: string, service: ImageService, release: string): void {
  const args = [
    "build",
    "--quiet",
    "--file",
    join(context, DOCKERFILES[service]),
    "--build-arg",
    `NODE_IMAGE=${NODE_IMAGE}`,
  ];
  if (DOCKERFILES[service] === "apps/Dockerfile") args.push("--build-arg", `APP=${service}`);
  if (service === "api") args.push("--build-arg", "PRISMA_FETCH_ENGINES=false");
  if (existsSync(CA)) args.push("--secret", `id=extra_ca,src=${CA}`);
  docker([...args, "--tag", ref(service, release), context]);
}

function bytesOf(images: readonly ShippedImage[], engine: Parameters<typeof planShipment>[1]): Promise<number> {
  let total = 0;
  const archive = shipmentArchive(planShipment(images, engine), (bytes) => {
    total += bytes;
  });
  return new Promise((resolve, reject) => {
    archive.on("data", () => {});
    archive.on("end", () => resolve(total));
    archive.on("error", reject);
  });
}

const results: string[] = [];
let failed = false;
function report(label: string, bytes: number, whole: number, target?: { max: number; what: string }): void {
  const ok = target ? bytes <= target.max : true;
  if (!ok) failed = true;
  results.push(
    `${label.padEnd(46)} ${MiB(bytes).padStart(28)}  (${(bytes / whole).toFixed(4)} of whole tarballs)${target ? `  target <= ${target.what}: ${ok ? "met" : "MISSED"}` : ""}`,
  );
}

const registryName = `${name}-registry`;
/** The registry's host names this run used: their digest references are removed at the end. */
const registryHosts: string[] = [];
try {
  console.log(
    "building the release's five images (cached layers) and the release with one line of the worker changed...",
  );
  for (const service of IMAGE_SERVICES) build(ROOT, service, "r1");
  const changed = join(scratch, "source");
  mkdirSync(changed);
  execFileSync("sh", ["-c", `git -C "${ROOT}" archive --format=tar HEAD | tar -x -C "${changed}"`]);
  const main = join(changed, "apps", "worker", "src", "main.ts");
  writeFileSync(main, `${readFileSync(main, "utf8")}// one line changed\n`);
  build(changed, "worker", "r2");
  for (const service of IMAGE_SERVICES)
    if (service !== "worker") docker(["tag", ref(service, "r1"), ref(service, "r2")]);

  console.log("saving the tarballs (today's way of shipping them)...");
  const r1 = join(scratch, "r1");
  const r2 = join(scratch, "r2");
  mkdirSync(r1);
  mkdirSync(r2);
  for (const service of IMAGE_SERVICES) docker(["save", "--output", join(r1, `${service}.tar`), ref(service, "r1")]);
  docker(["save", "--output", join(r2, "worker.tar"), ref("worker", "r2")]);
  for (const service of IMAGE_SERVICES)
    if (service !== "worker") linkSync(join(r1, `${service}.tar`), join(r2, `${service}.tar`));
  const whole = IMAGE_SERVICES.reduce((sum, service) => sum + statSync(join(r1, `${service}.tar`)).size, 0);
  const images = (dir: string, release: string) =>
    IMAGE_SERVICES.map((service) => ({
      ref: ref(service, release),
      archive: readImageArchive(join(dir, `${service}.tar`)),
    }));
  const release1 = images(r1, "r1");
  const release2 = images(r2, "r2");
  // The layers that changed: those of the new worker whose chain (the layer on its parents) is new.
  const workerOf = (release: ShippedImage[]) =>
    release.find((image) => image.ref.includes("/worker:"))?.archive.layers ?? [];
  const oldChains = new Set(chainIds(workerOf(release1).map((layer) => layer.diffId)));
  const newLayers = workerOf(release2);
  const newChains = chainIds(newLayers.map((layer) => layer.diffId));
  const changedLayers = newLayers
    .filter((_, i) => !oldChains.has(newChains[i] ?? ""))
    .reduce((sum, layer) => sum + layer.entry.size, 0);
  results.push(`${"today: the five whole tarballs, every deploy".padEnd(46)} ${MiB(whole).padStart(28)}`);
  results.push(`${"the layers that changed in (b), uncompressed".padEnd(46)} ${MiB(changedLayers).padStart(28)}`);

  // Registry-free.
  const empty = { imageIds: new Set<string>(), chainIds: new Set<string>(), skipsKnownLayers: true };
  report("registry-free (a) first deploy, empty engine", await bytesOf(release1, empty), whole);
  docker(["image", "rm", ref("worker", "r2")]);
  const changedFree = await shipImages(exec, release2, say);
  report("registry-free (b) one line of one app changed", changedFree.bytesSent, whole, {
    max: 2 * changedLayers,
    what: "2x changed layers",
  });
  const againFree = await shipImages(exec, release2, say);
  report("registry-free (c) redeploy", againFree.bytesSent, whole, { max: 0, what: "0" });

  // Registry mode, through the stand-in with authentication on.
  console.log("pushing the release to the registry stand-in...");
  const password = randomBytes(16).toString("hex");
  const htpasswd = join(scratch, "htpasswd");
  writeFileSync(
    htpasswd,
    docker(["run", "--rm", "-i", "--entrypoint", "htpasswd", REGISTRY_IMAGE, "-niB", "bench"], password),
  );
  docker([
    "run",
    "--detach",
    "--name",
    registryName,
    "--publish",
    "127.0.0.1::5000",
    "--volume",
    `${htpasswd}:/etc/docker/registry/htpasswd:ro`,
    REGISTRY_IMAGE,
  ]);
  const port = Number(docker(["port", registryName, "5000/tcp"]).trim().split(":").at(-1));
  const direct = `127.0.0.1:${port}`;
  registryHosts.push(direct);
  const client = join(scratch, "client");
  for (let i = 0; i < 60; i++) {
    const status = await fetch(`http://${direct}/v2/`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 401) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  docker(["--config", client, "login", "--username", "bench", "--password-stdin", direct], password);
  const push = (service: ImageService, release: string): string => {
    const remote = `${direct}/lh/${service}:${release}`;
    docker(["tag", ref(service, release), remote]);
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(docker(["--config", client, "push", remote]))?.[1];
    docker(["image", "rm", remote]);
    return digest ?? "";
  };
  const digests1 = Object.fromEntries(IMAGE_SERVICES.map((service) => [service, push(service, "r1")]));
  const workerDigest2 = push("worker", "r2");
  // (a): every blob of the release in the registry, each once: what an empty engine downloads.
  const auth = `Basic ${Buffer.from(`bench:${password}`).toString("base64")}`;
  const blobs = new Map<string, number>();
  for (const service of IMAGE_SERVICES) {
    const response = await fetch(`http://${direct}/v2/lh/${service}/manifests/${digests1[service]}`, {
      headers: { Authorization: auth, Accept: "application/vnd.docker.distribution.manifest.v2+json" },
    });
    const text = await response.text();
    const manifest = JSON.parse(text) as {
      config: { digest: string; size: number };
      layers: { digest: string; size: number }[];
    };
    blobs.set(digests1[service] ?? "", Buffer.byteLength(text));
    for (const blob of [manifest.config, ...manifest.layers]) blobs.set(blob.digest, blob.size);
  }
  report(
    "registry (a) first deploy, empty engine",
    [...blobs.values()].reduce((a, b) => a + b, 0),
    whole,
  );
  const proxy = await countingProxy(port);
  registryHosts.push(proxy.host);
  const through = (service: ImageService, digest: string) => `${proxy.host}/lh/${service}@${digest}`;
  const refs2 = Object.fromEntries(
    IMAGE_SERVICES.map((service) => [
      service,
      through(service, service === "worker" ? workerDigest2 : (digests1[service] ?? "")),
    ]),
  );
  // The engine holds release 1 by digest, not release 2's worker.
  const knownR1 = Object.fromEntries(
    IMAGE_SERVICES.map((service) => [service, through(service, digests1[service] ?? "")]),
  );
  await pullByDigest(exec, knownR1, {}, { username: "bench", password });
  docker(["image", "rm", "--force", ref("worker", "r2"), `${direct}/lh/worker@${workerDigest2}`]);
  proxy.reset();
  const login = { username: "bench", password };
  await pullByDigest(exec, refs2, {}, login);
  report("registry (b) one line of one app changed", proxy.fromUpstream(), whole, {
    max: 2 * changedLayers,
    what: "2x changed layers",
  });
  proxy.reset();
  await pullByDigest(exec, refs2, {}, login);
  report("registry (c) redeploy", proxy.fromUpstream(), whole, { max: 0, what: "0" });
  await proxy.close();

  console.log("\nbytes sent to the target engine for the five images:");
  for (const line of results) console.log(`  ${line}`);
  process.exitCode = failed ? 1 : 0;
} finally {
  spawnSync("docker", ["rm", "--force", "--volumes", registryName]);
  const listed = spawnSync(
    "docker",
    ["image", "ls", "--format", "{{.Repository}}:{{.Tag}}", "--filter", `reference=${name}/*`],
    {
      encoding: "utf8",
    },
  )
    .stdout.split("\n")
    .filter(Boolean);
  if (listed.length > 0) spawnSync("docker", ["image", "rm", ...listed]);
  const digestRefs = spawnSync("docker", ["image", "ls", "--digests", "--format", "{{.Repository}}@{{.Digest}}"], {
    encoding: "utf8",
  })
    .stdout.split("\n")
    .filter((line) => registryHosts.some((host) => line.startsWith(`${host}/lh/`)));
  if (digestRefs.length > 0) spawnSync("docker", ["image", "rm", ...digestRefs]);
  rmSync(scratch, { recursive: true, force: true });
}
