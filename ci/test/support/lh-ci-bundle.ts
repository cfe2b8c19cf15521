import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const CI_DIR = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Builds lh-ci's bundle from this checkout (what `npm run build:lh-ci` runs: ci/rolldown.config.mjs)
 * and returns its entry, so that what the ops image runs is tested and timed, never an earlier build.
 */
export function buildLhCiBundle(): string {
  const rolldown = join(CI_DIR, "..", "node_modules", ".bin", "rolldown");
  const result = spawnSync(rolldown, ["-c", join(CI_DIR, "rolldown.config.mjs")], {
    encoding: "utf8",
    timeout: 120_000,
  });
  if (result.status !== 0) throw new Error(`building lh-ci's bundle failed:\n${result.stderr.slice(-2000)}`);
  return join(CI_DIR, "dist", "lh-ci.mjs");
}
