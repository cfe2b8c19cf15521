import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * Builds the workspaces as the images do (`npm run build`: the api generates Prisma Client, tsc
 * compiles to dist/), so that a test runs the compiled services. Throws with npm's output.
 */
export function buildWorkspaces(workspaces: string[]): void {
  for (const workspace of workspaces) {
    const result = spawnSync("npm", ["run", "build", "--workspace", workspace], { cwd: ROOT, encoding: "utf8" });
    if (result.status !== 0) {
      throw new Error(`npm run build --workspace ${workspace} failed:\n${result.stdout}${result.stderr}`);
    }
  }
}
