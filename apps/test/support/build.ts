import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const STAMPS = join(ROOT, "node_modules/.cache/lh-builds");
/** What a workspace's build reads besides its lockfile-pinned dependencies. */
const INPUTS = ["src", "prisma", "public", "scripts", "package.json", "next.config.ts", "tsconfig.build.json"];

/**
 * Builds the workspaces as the images do (`npm run build`: the api generates Prisma Client, tsc
 * compiles to dist/, the web runs next build), so that a test runs the built services. Test files
 * run in parallel: one builds at a time (a lock directory), and a workspace whose inputs have not
 * changed since its last build is not built again, so that no file rebuilds what another runs.
 * Throws with npm's output.
 */
export function buildWorkspaces(workspaces: string[]): void {
  mkdirSync(STAMPS, { recursive: true });
  const lock = join(STAMPS, "build.lock");
  acquire(lock);
  try {
    for (const workspace of workspaces) {
      const stamp = join(STAMPS, `${workspace.replaceAll("/", "_")}.stamp`);
      // Every service builds on the kit (the web bundles it): a change to the kit rebuilds them too.
      const inputs = Math.max(newestInput(join(ROOT, workspace)), newestInput(join(ROOT, "packages/service-kit")));
      if (existsSync(stamp) && inputs < statSync(stamp).mtimeMs) continue;
      const result = spawnSync("npm", ["run", "build", "--workspace", workspace], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
      });
      if (result.status !== 0) {
        throw new Error(`npm run build --workspace ${workspace} failed:\n${result.stdout}${result.stderr}`);
      }
      writeFileSync(stamp, new Date().toISOString());
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** mkdir is atomic: the first caller holds the lock; a lock older than 15 minutes was left by a killed run. */
function acquire(lock: string): void {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      mkdirSync(lock);
      return;
    } catch {
      const since = statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (Date.now() - since > 15 * 60_000) rmSync(lock, { force: true, recursive: true });
      Atomics.wait(sleeper, 0, 0, 200);
    }
  }
}

function newestInput(dir: string): number {
  let newest = 0;
  const visit = (path: string): void => {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      // Generated code is an output of the build, not an input.
      if (path.endsWith("/generated")) return;
      for (const entry of readdirSync(path)) visit(join(path, entry));
    } else {
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  for (const input of INPUTS) if (existsSync(join(dir, input))) visit(join(dir, input));
  return newest;
}
