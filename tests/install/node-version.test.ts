import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { minimalEnvironment, runProcess } from "../../ci/test/support/run-process.ts";
import { tempDir } from "../../ci/test/support/temp-dir.ts";
import { REPO_ROOT } from "../stack/support/paths.ts";

// `npm ci` on a Node.js older than the engines field must stop at once, naming the version it
// needs. npm decides from process.version: the test runs the real npm with the version it reports
// replaced, on a copy of the manifests, the lockfile and .npmrc (--dry-run: nothing is installed).

const root = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
  workspaces: string[];
  engines: { node: string };
};
/** The npm that `npm` on the PATH runs (Node's own folder may not have one: see .ci/run). */
function npmCliPath(): string {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (dir && existsSync(join(dir, "npm"))) return join(dirname(realpathSync(join(dir, "npm"))), "npm-cli.js");
  }
  throw new Error("npm is not on the PATH");
}
const npmCli = npmCliPath();

function projectCopy(): string {
  const dir = tempDir("lh-node-version-");
  for (const file of ["package.json", "package-lock.json", ".npmrc"])
    copyFileSync(join(REPO_ROOT, file), join(dir, file));
  const manifests = ["ci", "packages/service-kit", "apps/api", "apps/web", "apps/ai-gateway", "apps/worker"];
  for (const workspace of manifests) {
    mkdirSync(join(dir, workspace), { recursive: true });
    copyFileSync(join(REPO_ROOT, workspace, "package.json"), join(dir, workspace, "package.json"));
  }
  return dir;
}

function npmCiAs(version: string, cwd: string) {
  const fake = `data:text/javascript,Object.defineProperty(process,"version",{value:"${version}"})`;
  return runProcess(
    process.execPath,
    ["--import", fake, npmCli, "ci", "--dry-run", "--ignore-scripts", "--no-audit", "--no-fund"],
    {
      cwd,
      env: minimalEnvironment(),
      timeoutMs: 60_000,
    },
  );
}

describe("npm ci and the Node.js version", () => {
  it("requires Node.js 22.19 or later in package.json, enforced by engine-strict in .npmrc", () => {
    expect(root.engines.node).toBe(">=22.19");
    expect(readFileSync(join(REPO_ROOT, ".npmrc"), "utf8")).toMatch(/^engine-strict=true$/m);
  });

  it("stops at once on Node 20, naming the required version", async () => {
    const result = await npmCiAs("v20.20.2", projectCopy());
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("EBADENGINE");
    expect(result.stderr).toContain('"node":">=22.19"');
  });

  it("goes on with Node 22.19, the oldest every dependency accepts (undici 8)", async () => {
    const result = await npmCiAs("v22.19.0", projectCopy());
    expect(result.stderr).not.toContain("EBADENGINE");
    // One patch release older is refused because of a dependency: the engines field must not promise it.
    expect((await npmCiAs("v22.18.0", projectCopy())).stderr).toContain("EBADENGINE");
    expect(result.code, result.stderr).toBe(0);
  });
});
