// The deployer recipe of the Dagger module (dagger/src/recipes.ts) replayed on the real engine:
// `lh-ci deploy` of a release into an e2e stack, the env file mounted as node, mode 0400.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEPLOYER } from "../../dagger/src/recipes.ts";
import { type DeployTarget, prepareDeployTarget } from "./support/deploy-target.ts";
import { type DeployerReplay, replayDeployer } from "./support/deployer-replay.ts";
import { docker, transcript } from "./support/docker.ts";
import { phase } from "./support/timing.ts";

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
    try {
      await replay?.remove();
    } finally {
      await target?.cleanUp();
    }
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
