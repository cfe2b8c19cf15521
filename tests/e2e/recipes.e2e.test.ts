// The containers of the Dagger module replayed from their recipes (dagger/src/recipes.ts) on the
// real engine. The test recipe (`dagger call test`): the whole vitest suite in its container
// against PostgreSQL and Redis service containers reached only as `postgres` and `redis`, with no
// Docker engine; this is CI's vitest run, and its JSON report is what .ci/run counts. The deployer
// recipe: `lh-ci deploy` of a release into an e2e stack, the env file mounted as node, mode 0400.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkRecipes, DEPLOYER } from "../../dagger/src/recipes.ts";
import { type DeployTarget, prepareDeployTarget } from "./support/deploy-target.ts";
import { type DeployerReplay, replayDeployer } from "./support/deployer-replay.ts";
import { docker, transcript } from "./support/docker.ts";
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

describe("the deployer recipe (dagger call --docker-socket ... deploy) on the real engine", () => {
  const PROJECT = "lhrecipe-e2e";
  const PREFIX = "lhrecipe-e2e";
  const release = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).trim();
  /** An override given one by one (a GitHub secret): it must win over the env file's value. */
  const override = `sk-canaryoverride${randomBytes(8).toString("hex")}`;
  let target: DeployTarget;
  let replay: DeployerReplay | undefined;

  beforeAll(async () => {
    target = await phase("deployer recipe: images of the release", () => prepareDeployTarget(PROJECT, PREFIX, release));
  }, 3_600_000);

  afterAll(async () => {
    await replay?.remove();
    await target?.cleanUp();
  }, 600_000);

  it("lh-ci deploy in the deployer container deploys the release: it runs, verified, in the ledger", async () => {
    replay = await phase("deployer recipe: lh-ci deploy in its container", () =>
      replayDeployer({
        release,
        imagePrefix: PREFIX,
        project: PROJECT,
        envFile: target.env.path,
        overrides: { OPENAI_API_KEY: override },
      }),
    );
    expect(replay.result.code, replay.result.output.slice(-6000)).toBe(0);
    expect(await target.current()).toBe(release);
    // The recipe's mounts, as replayed: the env file read-only at its path, the socket, the user.
    expect(replay.runOptions).toContain(`type=bind,source=${replay.envFile},target=${DEPLOYER.envFile.path},readonly`);
    expect(replay.runOptions.slice(0, 2)).toEqual(["--user", "node"]);
  });

  it("the env file was the deployer user's own, mode 0400, and the override reached the stack", async () => {
    const envCopy = replay?.envFile ?? "";
    const owner = await docker([
      "run",
      "--rm",
      "--mount",
      `type=bind,source=${envCopy},target=/probe,readonly`,
      `${PREFIX}/ops:${release}`,
      "stat",
      "-c",
      "%U %a",
      "/probe",
    ]);
    expect(owner.stdout.trim()).toBe("node 400");
    // Compared inside the container, the value on stdin: no secret on a command line or in output.
    const gateway = await target.stack.containerId("ai-gateway");
    const same = await docker(["exec", "-i", gateway, "sh", "-c", 'read -r want; [ "$OPENAI_API_KEY" = "$want" ]'], {
      input: `${override}\n`,
      allowFailure: true,
    });
    expect(same.code).toBe(0);
  });

  it("no canary secret appears in anything the replayed containers printed", () => {
    const everything = transcript.join("\n");
    expect(everything.length).toBeGreaterThan(1000);
    for (const secret of [...target.env.canaries, override]) expect(everything).not.toContain(secret);
  });
});
