/**
 * The shell steps of staging.yml, run for real with bash as GitHub runs them (`bash -e`): the
 * check of the secrets and variables, the resolving of a short SHA on develop (in a real git
 * repository with an origin), and the report's trace link.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { minimalEnvironment, runProcess } from "../../ci/test/support/run-process.ts";
import { tempDir } from "../../ci/test/support/temp-dir.ts";

const WORKFLOW = fileURLToPath(new URL("../../.github/workflows/staging.yml", import.meta.url));
type Step = { name?: string; run?: string; env?: Record<string, string> };
const steps = (Object.values(parse(readFileSync(WORKFLOW, "utf8")).jobs)[0] as { steps: Step[] }).steps;

function script(name: string): string {
  const step = steps.find((each) => each.name === name);
  if (!step?.run) throw new Error(`staging.yml has no run step named "${name}"`);
  return step.run;
}

/** Runs a step's script with bash -e (GitHub's shell for `run`) in `cwd`, with `env` only. */
async function runStep(name: string, env: Record<string, string>, cwd = tempDir("lh-workflow-")) {
  const file = join(tempDir("lh-workflow-script-"), "step.sh");
  writeFileSync(file, script(name));
  const result = await runProcess("bash", ["--noprofile", "--norc", "-e", file], { cwd, env: minimalEnvironment(env) });
  return { ...result, output: result.stdout + result.stderr };
}

describe("staging.yml: the check of the secrets and variables", () => {
  const CHECK = "Check the secrets and variables of the staging environment";
  const complete = Object.fromEntries(
    Object.keys(steps.find((step) => step.name === CHECK)?.env ?? {}).map((name) => [name, `value-of-${name}`]),
  );

  it("passes when every one is set", async () => {
    expect(Object.keys(complete)).toHaveLength(8);
    const result = await runStep(CHECK, complete);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain("Every secret and variable is set.");
  });

  it.each(Object.keys(complete))(
    "fails naming %s when it is empty (GitHub's value for an undefined one)",
    async (name) => {
      const result = await runStep(CHECK, { ...complete, [name]: "" });
      expect(result.code).toBe(1);
      const errors = result.stdout.split("\n").filter((line) => line.startsWith("::error::"));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(` ${name} of the GitHub environment "staging" is not set or empty`);
      expect(result.stdout).toContain("Nothing was deployed");
      // No value of the others is printed.
      expect(result.output).not.toContain("value-of-");
    },
  );
});

describe("staging.yml: resolving the commit to deploy", () => {
  const RESOLVE = "Resolve the commit to deploy";

  /** A clone with origin/develop (two commits) and a commit on another branch only. */
  function repository() {
    const git = (cwd: string, ...args: string[]) =>
      execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
        cwd,
        encoding: "utf8",
      }).trim();
    const origin = tempDir("lh-workflow-origin-");
    git(origin, "init", "--quiet", "--initial-branch=develop");
    git(origin, "commit", "--quiet", "--allow-empty", "-m", "first");
    const first = git(origin, "rev-parse", "HEAD");
    git(origin, "commit", "--quiet", "--allow-empty", "-m", "second");
    const head = git(origin, "rev-parse", "HEAD");
    git(origin, "checkout", "--quiet", "-b", "feature");
    git(origin, "commit", "--quiet", "--allow-empty", "-m", "elsewhere");
    const elsewhere = git(origin, "rev-parse", "HEAD");
    git(origin, "checkout", "--quiet", "develop");
    const clone = tempDir("lh-workflow-clone-");
    git(clone, "clone", "--quiet", origin, ".");
    return { clone, first, head, elsewhere, at: () => git(clone, "rev-parse", "HEAD") };
  }

  it("resolves a short SHA on develop to the full commit and checks it out", async () => {
    const repo = repository();
    const result = await runStep(RESOLVE, { COMMIT: repo.first.slice(0, 7) }, repo.clone);
    expect(result.code, result.output).toBe(0);
    expect(repo.at()).toBe(repo.first);
    expect(result.stdout).toContain(`Checked out ${repo.first} (from ${repo.first.slice(0, 7)})`);
  });

  it("takes a full SHA as it is", async () => {
    const repo = repository();
    const result = await runStep(RESOLVE, { COMMIT: repo.first }, repo.clone);
    expect(result.code, result.output).toBe(0);
    expect(repo.at()).toBe(repo.first);
  });

  it.each([
    [
      "a commit that is not on develop",
      (repo: ReturnType<typeof repository>) => repo.elsewhere.slice(0, 8),
      /is not on develop/,
    ],
    ["an unknown SHA", () => "deadbeef", /names no single commit/],
    ["something that is not a SHA", () => "main; rm -rf /", /is not a SHA: pass 7 to 40 hex digits/],
    ["too short a SHA", () => "abc12", /is not a SHA/],
  ])("refuses %s, saying what to pass, and checks out nothing", async (_what, commit, message) => {
    const repo = repository();
    const before = repo.at();
    const result = await runStep(RESOLVE, { COMMIT: commit(repo) }, repo.clone);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(message);
    expect(result.stdout).toMatch(/git log|leave it empty/);
    expect(repo.at()).toBe(before);
  });
});

describe("staging.yml: the report shows a trace link only for a real trace", () => {
  async function summary(traceUrl: string): Promise<string> {
    const dir = tempDir("lh-workflow-summary-");
    const file = join(dir, "summary.md");
    writeFileSync(file, "");
    const result = await runStep("Deploy report", {
      REPORT: "deploy of 0123abc to staging",
      TRACE_URL: traceUrl,
      OUTCOME: "success",
      GITHUB_STEP_SUMMARY: file,
    });
    expect(result.code, result.output).toBe(0);
    return readFileSync(file, "utf8");
  }

  it("leaves out Dagger's 'Setup tracing' page (what the action captures without a Dagger Cloud token)", async () => {
    const text = await summary("https://dagger.cloud/traces/setup");
    expect(text).not.toContain("Trace:");
    expect(text).toContain("deploy of 0123abc to staging");
  });

  it("shows a real trace", async () => {
    const url = "https://dagger.cloud/lawyers-hub/traces/0af7651916cd43dd8448eb211c80319c";
    expect(await summary(url)).toContain(`Trace: [${url}](${url})`);
  });
});
