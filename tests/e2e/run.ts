/**
 * `npm run e2e`: the end-to-end scenarios on a real Docker engine. Without an engine it says why;
 * that is a failure under CI=true or LH_E2E_REQUIRE=1 (never a silent skip), and on a laptop
 * without Docker it exits 0 after saying so. Provision an engine with `sudo tests/e2e/provision.sh`.
 */
import { spawnSync } from "node:child_process";
import { engineProblem } from "./support/docker.ts";
import { REPO_ROOT } from "./support/paths.ts";

const required = process.env.CI === "true" || process.env.LH_E2E_REQUIRE === "1";
const problem = await engineProblem();
if (problem) {
  console.error(`e2e: not run: ${problem}.`);
  console.error(
    "e2e: provision this machine with `sudo bash tests/e2e/provision.sh` (Debian), then run `npm run e2e` again.",
  );
  process.exit(required ? 1 : 0);
}
const vitest = spawnSync(
  "node_modules/.bin/vitest",
  ["run", "--config", "tests/e2e/vitest.config.ts", ...process.argv.slice(2)],
  { cwd: REPO_ROOT, stdio: "inherit" },
);
process.exit(vitest.status ?? 1);
