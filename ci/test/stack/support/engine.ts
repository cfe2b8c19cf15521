/**
 * The real Docker engine the stack tests run against (DOCKER_HOST, else the local socket). A
 * missing engine fails the test file, never skips it: with CI=true that is a broken CI machine,
 * on a laptop it says what to start.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "vitest";
import { runProcess } from "../../support/run-process.ts";

/** Images tests/e2e/provision.sh builds; our test images are tags of these, or built on them. */
export const BASE_IMAGE = "lh-e2e/debian:bookworm-slim";
export const NODE_IMAGE = "lh-e2e/node:24-bookworm-slim";
export const POSTGRES_IMAGE = "lh-e2e/postgres:15";
export const REDIS_IMAGE = "lh-e2e/redis:7";
/** Debian's Caddy (tests/e2e/stand-ins/caddy), the e2e's proxy. */
export const CADDY_IMAGE = "lh-e2e/caddy:2";

const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
/** Builds behind a TLS-inspecting proxy trust this bundle (a build secret, never a layer). */
const EXTRA_CA = process.env.LH_E2E_EXTRA_CA ?? "/etc/ssl/certs/ca-certificates.crt";

/** The ops image of this checkout (ci/Dockerfile on the e2e's Node base; cached after the first build). */
export async function buildOpsImage(tag: string): Promise<void> {
  const secret = existsSync(EXTRA_CA) ? ["--secret", `id=extra_ca,src=${EXTRA_CA}`] : [];
  const args = ["build", "--file", "ci/Dockerfile", "--build-arg", `NODE_IMAGE=${NODE_IMAGE}`, ...secret];
  const result = await runProcess("docker", [...args, "--tag", tag, "."], {
    cwd: REPO_ROOT,
    env: { ...process.env, DOCKER_BUILDKIT: "1" },
    timeoutMs: 900_000,
  });
  if (result.code !== 0) throw new Error(`building the ops image failed:\n${result.stderr.slice(-3000)}`);
}

/** `docker ...` as a plain child process (the test's own calls, not the code under test). */
export async function docker(args: string[], timeoutMs = 120_000) {
  return await runProcess("docker", args, { timeoutMs });
}

/** Fails the file at once, saying why, when the engine or a base image is missing. */
export function requireEngine(images: readonly string[] = []): void {
  beforeAll(async () => {
    const info = await docker(["info", "--format", "{{.ServerVersion}}"], 30_000).catch((error: Error) => ({
      code: -1,
      stdout: "",
      stderr: error.message,
    }));
    if (info.code !== 0) {
      throw new Error(
        `these tests need a Docker engine (DOCKER_HOST=${process.env.DOCKER_HOST ?? "unset: the local socket"}) and none answers${process.env.CI === "true" ? " on this CI machine" : ""}: ${info.stderr.trim()}; start one (bash .ci/run provisions it)`,
      );
    }
    for (const image of images) {
      const found = await docker(["image", "inspect", "--format", "{{.Id}}", image]);
      if (found.code !== 0) {
        throw new Error(
          `image ${image} is not on the engine; build the e2e images first (bash tests/e2e/provision.sh)`,
        );
      }
    }
  }, 60_000);
}

/** A name no other test run (or engineer) uses: `lhstack-test-<random>`. */
export function uniqueName(): string {
  return `lhstack-test-${randomBytes(4).toString("hex")}`;
}

/** Removes every image under `prefix/` when the file ends. */
export function removeImagesAfterAll(prefix: string): void {
  afterAll(async () => {
    const listed = await docker([
      "image",
      "ls",
      "--format",
      "{{.Repository}}:{{.Tag}}",
      "--filter",
      `reference=${prefix}/*`,
    ]);
    const refs = listed.stdout.split("\n").filter((line) => line.trim() !== "");
    if (refs.length > 0) await docker(["image", "rm", "--force", ...refs]);
  }, 120_000);
}
