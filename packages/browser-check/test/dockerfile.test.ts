import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { dockerignorePatterns, isIgnored, parseDockerfile, stageChain } from "../../../apps/test/support/dockerfile.ts";

// The browser check's image, read from its Dockerfile (no image is built by the tests yet).
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const text = readFileSync(join(ROOT, "packages/browser-check/Dockerfile"), "utf8");
const stages = parseDockerfile(text);
const final = stageChain(stages).flatMap((stage) => stage.instructions);
const all = stages.flatMap((stage) => stage.instructions);
const args = (keyword: string) => all.filter((i) => i.keyword === keyword).map((i) => i.args);
// biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's literal FROM ${NODE_IMAGE}
const NODE_IMAGE_ARG = "${NODE_IMAGE}";

/** Every workspace manifest, from the root package.json's globs (dir/* or dir). */
function workspaceManifests(): string[] {
  const root = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { workspaces: string[] };
  return root.workspaces.flatMap((pattern) => {
    const dirs = pattern.endsWith("/*")
      ? readdirSync(join(ROOT, pattern.slice(0, -2))).map((entry) => `${pattern.slice(0, -2)}/${entry}`)
      : [pattern];
    return dirs.filter((dir) => existsSync(join(ROOT, dir, "package.json"))).map((dir) => `${dir}/package.json`);
  });
}

describe("packages/browser-check/Dockerfile", () => {
  it("starts from the services' base image, the same NODE_IMAGE default as apps/Dockerfile", () => {
    const base = (file: string) => readFileSync(join(ROOT, file), "utf8").match(/^ARG NODE_IMAGE=.*$/m)?.[0];
    expect(base("packages/browser-check/Dockerfile")).toBe(base("apps/Dockerfile"));
    const names = new Set(stages.map((stage) => stage.name));
    for (const stage of stages) expect(stage.from === NODE_IMAGE_ARG || names.has(stage.from)).toBe(true);
    expect(text).not.toMatch(/^#\s*syntax=/m);
  });

  it("copies every workspace manifest before installing only the check's production dependencies", () => {
    const manifests = stageChain(stages, "manifests").flatMap((stage) => stage.instructions);
    const copied = manifests
      .filter((i) => i.keyword === "COPY")
      .map((i) => i.args)
      .join("\n");
    for (const manifest of workspaceManifests()) expect(copied).toContain(manifest);
    const installs = args("RUN").filter((run) => /\bnpm ci\b/.test(run));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toMatch(/npm ci --workspace packages\/browser-check --omit=dev --ignore-scripts/);
    expect(installs[0]).toContain("--mount=type=secret,id=extra_ca");
    expect(installs[0]).toContain("--mount=type=cache,target=/root/.npm");
  });

  it("installs Debian's chromium, runs the program as the unprivileged node user, and ships no tests", () => {
    const runtime = final
      .filter((i) => i.keyword === "RUN")
      .map((i) => i.args)
      .join("\n");
    expect(runtime).toMatch(/apt-get install -y --no-install-recommends chromium\b/);
    expect(final.filter((i) => i.keyword === "USER").at(-1)?.args).toBe("node");
    expect(final.find((i) => i.keyword === "ENTRYPOINT")?.args).toBe(
      '["node", "/app/packages/browser-check/bin/browser-check.mjs"]',
    );
    const copies = final.filter((i) => i.keyword === "COPY").map((i) => i.args);
    expect(copies.join("\n")).not.toMatch(/\btest\b|playwright/);
    for (const copy of copies.filter((c) => !c.startsWith("--from"))) {
      const source = copy.split(/\s+/)[0] ?? "";
      expect(existsSync(join(ROOT, source)), source).toBe(true);
    }
  });

  it("finds what it copies in the build context (.dockerignore), and no test", () => {
    const patterns = dockerignorePatterns(readFileSync(join(ROOT, ".dockerignore"), "utf8"));
    for (const path of ["packages/browser-check/src/check.ts", "packages/browser-check/bin/browser-check.mjs"]) {
      expect(isIgnored(patterns, path), path).toBe(false);
    }
    expect(isIgnored(patterns, "packages/browser-check/test/browser-check.host.test.ts")).toBe(true);
  });
});
