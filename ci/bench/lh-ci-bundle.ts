import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const CI_DIR = fileURLToPath(new URL("../", import.meta.url));

/**
 * Builds lh-ci's bundle (ci/rolldown.config.mjs) from this checkout and returns its entry: the
 * benchmarks time lh-ci as the ops image runs it, never an earlier build.
 */
export function buildLhCiBundle(): string {
  const rolldown = join(CI_DIR, "..", "node_modules", ".bin", "rolldown");
  const result = spawnSync(rolldown, ["-c", join(CI_DIR, "rolldown.config.mjs")], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`building lh-ci's bundle failed:\n${result.stderr.slice(-2000)}`);
  return join(CI_DIR, "dist", "lh-ci.mjs");
}
