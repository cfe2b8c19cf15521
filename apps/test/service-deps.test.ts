import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

// apps/service-deps.mjs, the image's prod-deps stage: the root manifest narrowed to one service,
// and every package npm then installed checked against the lockfile.

const SCRIPT = fileURLToPath(new URL("../service-deps.mjs", import.meta.url));
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), "service-deps-"));
  dirs.push(dir);
  for (const name of ["packages/service-kit", "apps/worker", "apps/web", "ci"]) {
    mkdirSync(join(dir, name), { recursive: true });
    writeFileSync(join(dir, name, "package.json"), "{}");
  }
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "root", workspaces: ["ci", "packages/*", "apps/*"], devDependencies: { vitest: "5" } }),
  );
  writeLock(dir, "package-lock.json", {
    "node_modules/zod": { version: "4.6.7", integrity: "sha512-zod" },
    "node_modules/react": { version: "19.2.0", integrity: "sha512-react" },
    "node_modules/a/node_modules/zod": { version: "3.25.0", integrity: "sha512-zod3" },
  });
  return dir;
}

function writeLock(dir: string, file: string, packages: Record<string, object>) {
  const workspaces = { "packages/service-kit": {}, "apps/worker": {}, "apps/web": {}, ci: {} };
  writeFileSync(
    join(dir, file),
    JSON.stringify({ lockfileVersion: 3, packages: { "": {}, ...workspaces, ...packages } }),
  );
}

const run = (dir: string, ...args: string[]) =>
  spawnSync(process.execPath, [SCRIPT, ...args], { cwd: dir, encoding: "utf8" });

describe("apps/service-deps.mjs", () => {
  it("narrows the root manifest to the service kit and the service, and removes the other workspaces", () => {
    const dir = workspace();
    const result = run(dir, "narrow", "worker");
    expect(result.status, result.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    expect(manifest.workspaces).toEqual(["packages/service-kit", "apps/worker"]);
    expect(manifest.devDependencies).toEqual({});
    expect(existsSync(join(dir, "apps/web"))).toBe(false);
    expect(existsSync(join(dir, "ci"))).toBe(false);
    expect(existsSync(join(dir, "apps/worker/package.json"))).toBe(true);
    expect(existsSync(join(dir, "package-lock.original.json"))).toBe(true);
  });

  it("refuses a service that is not a workspace, naming it", () => {
    const result = run(workspace(), "narrow", "nope");
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("no workspace apps/nope");
  });

  it("accepts packages the lockfile pins, wherever npm placed them", () => {
    const dir = workspace();
    run(dir, "narrow", "worker");
    // The narrower tree may hoist a nested package: same name, version and integrity.
    writeLock(dir, "package-lock.json", { "node_modules/zod": { version: "3.25.0", integrity: "sha512-zod3" } });
    const result = run(dir, "check");
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain("1 packages installed, each as the lockfile pins it");
  });

  it("fails on a version or an integrity the lockfile does not pin, naming the package", () => {
    const dir = workspace();
    run(dir, "narrow", "worker");
    writeLock(dir, "package-lock.json", {
      "node_modules/zod": { version: "4.6.8", integrity: "sha512-zod" },
      "node_modules/react": { version: "19.2.0", integrity: "sha512-other" },
    });
    const result = run(dir, "check");
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("not as the lockfile pins them: zod@4.6.8, react@19.2.0");
  });
});
