// On the host (with the engine tier): in the check container its run of `npx --no -- lh-ci backup
// prune` did not finish within the test's 60 s, for a reason not yet found.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../ci/test/support/temp-dir.ts";
import { fakeDagger, REPO_ROOT, runScript, SCRIPTS_DIR, scriptsCopy } from "./support/run-script.ts";

const SCRIPT = join(SCRIPTS_DIR, "backup-staging.sh");
const OLD = "lawyers_hub_staging_20200101T000000Z.sql";

/** A repository-shaped directory holding a copy of the scripts and a backups/staging with history. */
function repository(root: string): { script: string; backups: string } {
  const script = join(scriptsCopy(root), "backup-staging.sh");
  const backups = join(root, "backups", "staging");
  mkdirSync(backups, { recursive: true });
  writeFileSync(join(backups, OLD), "-- PostgreSQL database dump complete\n");
  writeFileSync(join(backups, `${OLD}.json`), "{}\n");
  writeFileSync(join(backups, "README.txt"), "not a backup: never pruned\n");
  return { script, backups };
}

describe("scripts/backup-staging.sh", () => {
  const dir = tempDir("lh-backup-");

  it("--help explains the command and exits 0", async () => {
    const result = await runScript(SCRIPT, ["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: backup-staging\.sh \[--dry-run\] \[--help\]$/m);
    expect(result.stdout).toContain("backups/staging/lawyers_hub_staging_<UTC timestamp>.sql");
    expect(result.stdout).toContain("7 days");
  });

  it("--dry-run prints the export and the retention, from any directory, and runs nothing", async () => {
    const dagger = fakeDagger(join(dir, "dry-bin"));
    const result = await runScript(SCRIPT, ["--dry-run"], { cwd: dir, env: { DAGGER: dagger.bin } });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `${dagger.bin} call backup-files --env staging export --path backups/staging\n` +
        "npx --no -- lh-ci backup prune --dir backups/staging --keep-days 7\n",
    );
    expect(result.stderr).toContain(`would run in ${REPO_ROOT}`);
    expect(dagger.calls()).toEqual([]);
  });

  it("prints the plain dagger command under --dry-run when DAGGER is not set", async () => {
    const result = await runScript(SCRIPT, ["--dry-run"]);
    expect(result.stdout.split("\n")[0]).toBe("dagger call backup-files --env staging export --path backups/staging");
  });

  it("refuses arguments it does not take, with the usage line (exit 2)", async () => {
    for (const args of [["--keep-days", "3"], ["backups/elsewhere"]]) {
      const result = await runScript(SCRIPT, args);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`unexpected argument '${args[0]}'`);
      expect(result.stderr).toContain("Usage: backup-staging.sh [--dry-run] [--help]");
    }
  });

  it("exports the backup from the repository root, applies the retention and prints where the backup is", async () => {
    const root = join(dir, "repo-ok");
    const { script, backups } = repository(root);
    const dagger = fakeDagger(join(dir, "ok-bin"));

    const result = await runScript(script, [], { cwd: dir, env: { DAGGER: dagger.bin } });

    expect(result.stderr).not.toContain("error:");
    expect(result.code).toBe(0);
    expect(dagger.calls()).toEqual([
      [`cwd=${root}`, "call", "backup-files", "--env", "staging", "export", "--path", "backups/staging"],
    ]);
    const kept = readdirSync(backups).sort();
    const fresh = kept.find((name) => /^lawyers_hub_staging_\d{8}T\d{6}Z\.sql$/.test(name) && name !== OLD);
    expect(fresh).toBeDefined();
    // The real toolkit pruned the 2020 backup and its sidecar, and left the foreign file alone.
    expect(kept).toEqual(["README.txt", fresh, `${fresh}.json`].sort());
    expect(result.stdout.trimEnd().split("\n").at(-1)).toBe(join(backups, fresh ?? ""));
    expect(result.stderr).toContain(`backup saved: backups/staging/${fresh}`);
  });

  it("fails with exit 1, and prunes nothing, when the backup fails", async () => {
    const { script, backups } = repository(join(dir, "repo-failed"));
    const dagger = fakeDagger(join(dir, "failed-bin"));
    const result = await runScript(script, [], { env: { DAGGER: dagger.bin, FAKE_DAGGER_EXIT: "1" } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("call backup-files --env staging export --path backups/staging failed (exit 1)");
    expect(existsSync(join(backups, OLD))).toBe(true);
    expect(result.stdout).toBe("");
  });

  it("fails with exit 1 when the export left no new backup", async () => {
    const { script, backups } = repository(join(dir, "repo-empty"));
    const dagger = fakeDagger(join(dir, "empty-bin"));
    const result = await runScript(script, [], { env: { DAGGER: dagger.bin, FAKE_DAGGER_EXPORT: "no" } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("no new lawyers_hub_staging_*.sql appeared");
    expect(existsSync(join(backups, OLD))).toBe(true);
  });

  it("says how to get Dagger when the CLI is missing (exit 1)", async () => {
    const result = await runScript(SCRIPT, [], { env: { DAGGER: join(dir, "no-such-dagger") } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("set DAGGER=/path/to/dagger");
  });
});
