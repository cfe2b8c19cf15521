import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../ci/test/support/temp-dir.ts";
import { fakeDagger, REPO_ROOT, runScript, SCRIPTS_DIR } from "./support/run-script.ts";

const SCRIPT = join(SCRIPTS_DIR, "rollback-staging.sh");
const SHA = "3f2a9c1d4e5b6a7f8091a2b3c4d5e6f708192a3b";

describe("scripts/rollback-staging.sh", () => {
  const dir = tempDir("lh-rollback-");
  const dagger = fakeDagger(join(dir, "bin"));

  it("--help explains the command and exits 0", async () => {
    const result = await runScript(SCRIPT, ["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^Usage: rollback-staging\.sh \[--dry-run\] \[--no-browser\] \[--help\] \[COMMIT\]$/m,
    );
    expect(result.stdout).toContain("previous release that verified");
    // It points at the runbook's section, which exists.
    expect(result.stdout).toContain("docs/runbook.md, section Rollback");
    expect(readFileSync(join(REPO_ROOT, "docs", "runbook.md"), "utf8")).toMatch(/^## Rollback$/m);
  });

  it("--dry-run prints the rollback to the previous verified release, from any directory", async () => {
    const result = await runScript(SCRIPT, ["--dry-run"], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("dagger call rollback --env staging\n");
    expect(result.stderr).toContain(`would run in ${REPO_ROOT}`);
  });

  it("prints the rollback to COMMIT under --dry-run, before or after the option (short SHAs too, lower-cased)", async () => {
    const full = await runScript(SCRIPT, ["--dry-run", SHA]);
    expect(full.stdout).toBe(`dagger call rollback --env staging --to ${SHA}\n`);
    const short = await runScript(SCRIPT, ["ABCDEF1", "--dry-run"]);
    expect(short.code).toBe(0);
    expect(short.stdout).toBe("dagger call rollback --env staging --to abcdef1\n");
  });

  it("passes --no-browser on to the rollback and warns that the release will not be looked at in a browser", async () => {
    const result = await runScript(SCRIPT, ["--no-browser", "--dry-run", SHA]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`dagger call rollback --env staging --to ${SHA} --no-browser\n`);
    expect(result.stderr).toContain(
      "WARNING --no-browser: the release brought back will not be looked at in a browser",
    );
  });

  it.each([
    ["not hexadecimal", "v1.2.3"],
    ["too short", "abc123"],
    ["too long", "a".repeat(41)],
    ["a shell injection", "abcdef1;rm -rf /"],
  ])("refuses a COMMIT that is %s with the usage line (exit 2)", async (_why, commit) => {
    const result = await runScript(SCRIPT, ["--dry-run", commit], { env: { DAGGER: dagger.bin } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("is not a commit SHA (7 to 40 hexadecimal characters)");
    expect(result.stderr).toContain("Usage: rollback-staging.sh");
    expect(result.stdout).toBe("");
  });

  it("refuses an unknown option and a second commit (exit 2)", async () => {
    const option = await runScript(SCRIPT, ["--force"]);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("unknown option '--force'");
    const two = await runScript(SCRIPT, [SHA, "abcdef1"]);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain("expected at most one COMMIT, got 2");
  });

  it("runs dagger from the repository root with the target commit", async () => {
    const result = await runScript(SCRIPT, [SHA], { cwd: dir, env: { DAGGER: dagger.bin } });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`rolling staging back to commit ${SHA}`);
    expect(dagger.calls().at(-1)).toEqual([`cwd=${REPO_ROOT}`, "call", "rollback", "--env", "staging", "--to", SHA]);
  });

  it("fails with exit 1 and says so when the rollback fails", async () => {
    const result = await runScript(SCRIPT, [], { env: { DAGGER: dagger.bin, FAKE_DAGGER_EXIT: "3" } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("rolling staging back to the previous verified release");
    expect(result.stderr).toContain(`error: ${dagger.bin} call rollback --env staging failed (exit 3)`);
  });

  it("says how to get Dagger when the CLI is missing (exit 1)", async () => {
    const result = await runScript(SCRIPT, [], { env: { DAGGER: join(dir, "no-such-dagger") } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("the Dagger CLI");
    expect(result.stderr).toContain("set DAGGER=/path/to/dagger");
  });
});
