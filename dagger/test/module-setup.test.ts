/**
 * The module's own package setup, as the Dagger v0.21 TypeScript runtime and `dagger develop`
 * treat it (read from the v0.21 SDK and engine source; no engine runs here).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const json = (path: string) => JSON.parse(readFileSync(join(ROOT, path), "utf8"));

/**
 * The TypeScript the v0.21 runtime bundles. With exactly this as the only runtime dependency the
 * runtime installs nothing at module load; anything else makes every cold load run npm install.
 */
const BUNDLED_TYPESCRIPT = "5.9.3";

describe("dagger/package.json", () => {
  const manifest = json("dagger/package.json");
  const lock = json("dagger/package-lock.json");

  it("has exactly the bundled typescript as its runtime dependency", () => {
    expect(manifest.dependencies).toEqual({ typescript: BUNDLED_TYPESCRIPT });
    expect(lock.packages[""].dependencies).toEqual({ typescript: BUNDLED_TYPESCRIPT });
    expect(lock.packages["node_modules/typescript"].version).toBe(BUNDLED_TYPESCRIPT);
  });

  it("has the SDK at the engine's version as a devDependency (the runtime mounts its own SDK)", () => {
    const engine = json("dagger.json").engineVersion.replace(/^v/, "");
    expect(manifest.devDependencies["@dagger.io/dagger"]).toBe(engine);
    expect(lock.packages["node_modules/@dagger.io/dagger"].version).toBe(engine);
  });

  it("is an ES module package with an npm lockfile (the runtime picks npm from it)", () => {
    expect(manifest.type).toBe("module");
    expect(lock.lockfileVersion).toBeGreaterThanOrEqual(2);
  });
});

describe("dagger/tsconfig.json", () => {
  const paths = json("dagger/tsconfig.json").compilerOptions.paths;

  it("resolves the SDK from the generated dagger/sdk first and from node_modules without it", () => {
    expect(paths["@dagger.io/dagger"]).toEqual(["./sdk/index.ts", "./node_modules/@dagger.io/dagger"]);
    expect(paths["@dagger.io/dagger/telemetry"]?.[0]).toBe("./sdk/telemetry.ts");
    expect(paths["@dagger.io/dagger/telemetry"]?.[1]).toMatch(/^\.\/node_modules\/@dagger\.io\/dagger\//);
  });

  it("docs/dagger-module.md says how to put this setup back after dagger develop rewrites it", () => {
    const docs = readFileSync(join(ROOT, "docs/dagger-module.md"), "utf8");
    expect(docs).toContain("git checkout -- dagger/package.json dagger/package-lock.json dagger/tsconfig.json");
  });
});
