// The test recipe of the Dagger module (dagger/src/recipes.ts), `dagger call test`, replayed on
// the real engine: the whole vitest suite in its container against PostgreSQL and Redis service
// containers reached only as `postgres` and `redis`, with no Docker engine. This is CI's vitest
// run, and its JSON report is what .ci/run counts. It uses names and a network of its own, so
// .ci/run runs it next to the engine tier.
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkRecipes } from "../../dagger/src/recipes.ts";
import { EXTRA_CA } from "./support/images.ts";
import { REPO_ROOT } from "./support/paths.ts";
import { replayCheck } from "./support/recipe-runner.ts";
import { phase } from "./support/timing.ts";

/** Where the replayed run's vitest JSON report lands on this machine (the container's .vitest-report). */
const TEST_RECIPE_REPORT_DIR = join(REPO_ROOT, ".vitest-report", "test-recipe");

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numTotalTests: number;
  testResults: { name: string; status: string }[];
}

describe("the test recipe (dagger call test) on the real engine", () => {
  it("runs npm run test:vitest in its container against the postgres and redis services: every test passes", async () => {
    rmSync(TEST_RECIPE_REPORT_DIR, { recursive: true, force: true });
    mkdirSync(TEST_RECIPE_REPORT_DIR, { recursive: true });
    const recipe = checkRecipes().test;
    const replay = await phase("test recipe (build + whole vitest suite in its container)", () =>
      replayCheck(recipe, existsSync(EXTRA_CA) ? { extraCa: EXTRA_CA } : {}, [
        "--mount",
        `type=bind,source=${TEST_RECIPE_REPORT_DIR},target=${recipe.workdir}/.vitest-report`,
      ]),
    );
    console.log(
      `[e2e] test recipe: image ${replay.seconds.build.toFixed(1)} s, vitest in the container ${replay.seconds.run.toFixed(1)} s`,
    );
    const tail = replay.result.output.slice(-6000);
    expect(replay.result.code, tail).toBe(0);
    const report = JSON.parse(readFileSync(join(TEST_RECIPE_REPORT_DIR, "results.json"), "utf8")) as VitestReport;
    expect(report.numFailedTests, tail).toBe(0);
    expect(report.numPassedTests).toBeGreaterThan(500);
    const files = report.testResults.map((result) => result.name);
    // The suite ran from the container's copy of the source, without the engine tier.
    expect(files.every((file) => file.startsWith(`${recipe.workdir}/`))).toBe(true);
    expect(files.some((file) => file.endsWith(".engine.test.ts"))).toBe(false);
    expect(files.some((file) => file.endsWith("redis-readiness.test.ts"))).toBe(true);
    expect(files.some((file) => file.endsWith("database-url-guard.test.ts"))).toBe(true);
    // The image (cached after the first run) and the whole suite on two shared cores.
  }, 2_400_000);
});
