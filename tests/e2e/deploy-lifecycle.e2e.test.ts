import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DeployTarget, deployReport, prepareDeployTarget } from "./support/deploy-target.ts";
import { docker } from "./support/docker.ts";
import { IMAGE_SERVICES } from "./support/images.ts";
import { REPO_ROOT } from "./support/paths.ts";
import { phase } from "./support/timing.ts";

// The deploy scenarios 9 (a service container killed during `up --wait`) and 7 (retention after
// seven releases) with `lh-ci deploy` on the real compose file (plus tests/e2e/compose.e2e.yml),
// in a compose project and under an image prefix of their own (the engine is shared with the
// other e2e files). Release 1 is built from this checkout; releases 2..7 are the same images
// under other commits' tags, each tagged right before its deploy (a deploy prunes the prefix's
// images of releases the ledger does not keep, which includes releases not deployed yet).

const PROJECT = "lhscen-e2e-lifecycle";
const PREFIX = "lhscen-e2e";
const R1 = execFileSync("git", ["rev-parse", "HEAD"], { cwd: REPO_ROOT, encoding: "utf8" }).trim();
/** Releases 2..7: hex SHAs of their own ("7272...72" for release 2). */
const release = (n: number): string => (n === 1 ? R1 : `7${n}`.repeat(20));

let target: DeployTarget;

beforeAll(async () => {
  target = await prepareDeployTarget(PROJECT, PREFIX, R1);
}, 3_600_000);

afterAll(async () => {
  if (!target) return;
  await target.cleanUp();
  expect(await target.stack.leftovers()).toEqual([]);
}, 600_000);

async function deploy(n: number) {
  // From the release before: the oldest releases' tags are pruned as the ledger grows.
  if (n > 1) await target.tag(release(n - 1), release(n), IMAGE_SERVICES);
  const result = await phase(`deploy release ${n}`, () => target.lhCi(["deploy", "--release", release(n), "--json"]));
  expect(result.code, result.stderr).toBe(0);
  expect(deployReport(result.stdout)).toMatchObject({ ok: true, running: release(n) });
}

describe("lh-ci deploy on the real stack: a killed service, then retention", () => {
  it("9. the new api container killed during the rollout: the deploy fails clearly, rolls back, frees the lock; a rerun succeeds", async () => {
    await deploy(1);
    const R2 = release(2);
    await target.tag(R1, R2, IMAGE_SERVICES);
    const failed = await phase("deploy release 2 (new api killed during the rollout)", async () => {
      const deploying = target.lhCi(["deploy", "--release", R2, "--json"]);
      // Whatever happens here, the deploy is awaited before the test goes on (or cleans up).
      const killed = target
        .waitForContainer("api", target.ref("api", R2))
        .then((api) => docker(["kill", api]))
        .then((result) => result.code);
      const [result, killCode] = await Promise.allSettled([deploying, killed]);
      if (result.status === "rejected") throw result.reason;
      if (killCode.status === "rejected") throw killCode.reason;
      expect(killCode.value).toBe(0);
      return result.value;
    });
    expect(failed.code).toBe(1);
    const outcome = deployReport(failed.stdout);
    const up = outcome.steps.find((step) => step.step === "up");
    console.log(`[e2e] the killed deploy's up step: ${up?.detail}\n[e2e] its report: ${outcome.messages.join(" | ")}`);
    expect(up).toMatchObject({ status: "failed" });
    // Start-first: the killed container was the new api; R1's containers were never stopped.
    expect(up?.detail).toMatch(
      /^start-first rollout of (72)+ stopped: the new container \S+-api-\d+ failed: it is (exited|restarting); removed the new .+; the running containers were never stopped and still serve$/,
    );
    expect(outcome).toMatchObject({
      ok: false,
      running: R1,
      rolledBackTo: R1,
      recorded: { commit: R2, result: "rolled-back" },
    });
    expect(outcome.messages.join("\n")).toMatch(new RegExp(`ROLLED BACK to ${R1}`));
    expect(outcome.steps.at(-1)).toMatchObject({ step: "unlock", status: "ok" });
    expect(await target.lockStatus()).toMatch(/not held|free|no lock/i);
    expect(await target.current()).toBe(R1);
    const apiNow = await target.waitForContainer("api", target.ref("api", R1), 5_000);
    expect(apiNow).not.toBe("");
    expect((await target.lhCi(["stack", "verify"])).code).toBe(0);

    const rerun = await phase("deploy release 2 (rerun)", () => target.lhCi(["deploy", "--release", R2, "--json"]));
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(deployReport(rerun.stdout)).toMatchObject({ ok: true, running: R2, recorded: { commit: R2 } });
    expect(await target.current()).toBe(R2);
  });

  it("7. after seven releases only the last five releases' images remain on the engine, and the ledger lists them", async () => {
    for (let n = 3; n <= 7; n++) await deploy(n);
    const lastFive = [7, 6, 5, 4, 3].map(release);
    for (const service of IMAGE_SERVICES) {
      const tags = await target.releaseTags(service);
      console.log(`[e2e] ${PREFIX}/${service} tags left: ${tags.map((tag) => tag.slice(0, 7)).join(" ")}`);
      expect(tags, service).toEqual([...lastFive].sort());
    }
    const ledger = await target.ledger();
    console.log(`[e2e] ledger, newest first: ${ledger.map((commit) => commit.slice(0, 7)).join(" ")}`);
    expect([...new Set(ledger)].slice(0, 5)).toEqual(lastFive);
    expect(await target.current()).toBe(release(7));
  });
});
