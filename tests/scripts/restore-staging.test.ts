import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../ci/test/support/temp-dir.ts";
import {
  fakeDagger,
  REPO_ROOT,
  runScript,
  runScriptOnTerminal,
  SCRIPTS_DIR,
  scriptsCopy,
} from "./support/run-script.ts";

const SCRIPT = join(SCRIPTS_DIR, "restore-staging.sh");
const NAME = "lawyers_hub_staging_20261125T101500Z.sql";

/** A backup file (and, unless told otherwise, its sidecar) in dir. */
function backup(dir: string, name: string, sidecar = true): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, "-- PostgreSQL database dump complete\n");
  if (sidecar) writeFileSync(`${file}.json`, '{"environment":"staging"}\n');
  return file;
}

describe("scripts/restore-staging.sh", () => {
  const dir = tempDir("lh-restore-");
  const dagger = fakeDagger(join(dir, "bin"));
  const backups = join(dir, "backups", "staging");
  const good = backup(backups, NAME);

  it("--help explains the command and exits 0", async () => {
    const result = await runScript(SCRIPT, ["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: restore-staging\.sh \[--dry-run\] \[--yes\] \[--help\] FILE$/m);
    expect(result.stdout).toContain("safety backup");
  });

  it("refuses to run without FILE, with the usage line (exit 2)", async () => {
    const result = await runScript(SCRIPT, [], { env: { DAGGER: dagger.bin } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("missing FILE");
    expect(result.stderr).toContain("Usage: restore-staging.sh [--dry-run] [--yes] [--help] FILE");
    expect(dagger.calls()).toEqual([]);
  });

  it("refuses a missing file (exit 2)", async () => {
    const missing = join(backups, "lawyers_hub_staging_20200101T000000Z.sql");
    const result = await runScript(SCRIPT, ["--yes", missing], { env: { DAGGER: dagger.bin } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`no such file: ${missing}`);
    expect(result.stderr).toContain("Usage: restore-staging.sh");
    expect(dagger.calls()).toEqual([]);
  });

  it.each([
    ["of another environment", "lawyers_hub_production_20261125T101500Z.sql"],
    ["without a timestamp", "lawyers_hub_staging_latest.sql"],
    ["with a local-time timestamp", "lawyers_hub_staging_20261125T101500.sql"],
    ["a dump of another kind", "lawyers_hub_staging_20261125T101500Z.dump"],
    ["something else", "notes.txt"],
  ])("refuses a file named like %s (exit 2)", async (_what, name) => {
    const file = backup(join(dir, "other"), name);
    const result = await runScript(SCRIPT, ["--yes", file], { env: { DAGGER: dagger.bin } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`'${name}' is not named like a staging backup`);
    expect(result.stderr).toContain("Usage: restore-staging.sh");
    expect(dagger.calls()).toEqual([]);
  });

  it("refuses a backup without its sidecar (exit 2)", async () => {
    const lonely = backup(join(dir, "lonely"), NAME, false);
    const result = await runScript(SCRIPT, ["--yes", lonely], { env: { DAGGER: dagger.bin } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`the sidecar ${lonely}.json is missing`);
    expect(dagger.calls()).toEqual([]);
  });

  it("refuses an unknown option and two files (exit 2)", async () => {
    const option = await runScript(SCRIPT, ["--force", good]);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("unknown option '--force'");
    const two = await runScript(SCRIPT, [good, good]);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain("expected one FILE, got 2");
  });

  it("--dry-run prints the restore of a file given relative to the caller's directory", async () => {
    const result = await runScript(SCRIPT, ["--dry-run", join("staging", NAME)], { cwd: join(dir, "backups") });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`dagger call restore --env staging --file ${good} --sidecar ${good}.json\n`);
    expect(result.stderr).toContain(`would run in ${REPO_ROOT}`);
  });

  it("--allow-unsigned is passed on to the Dagger function, with a warning", async () => {
    const result = await runScript(SCRIPT, ["--dry-run", "--allow-unsigned", join("staging", NAME)], {
      cwd: join(dir, "backups"),
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `dagger call restore --env staging --file ${good} --sidecar ${good}.json --allow-unsigned=true\n`,
    );
    expect(result.stderr).toContain("WARNING: --allow-unsigned: the backup's signature is NOT checked");
  });

  it("--dry-run names a backup inside the repository relative to its root, as the runbook writes it", async () => {
    const root = join(dir, "repo");
    const script = join(scriptsCopy(root), "restore-staging.sh");
    backup(join(root, "backups", "staging"), NAME);
    const result = await runScript(script, ["--dry-run", join("..", "backups", "staging", NAME)], {
      cwd: join(root, "scripts"),
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `dagger call restore --env staging --file backups/staging/${NAME} --sidecar backups/staging/${NAME}.json\n`,
    );
  });

  it("accepts a gzipped backup", async () => {
    const gz = backup(backups, "lawyers_hub_staging_20261126T000000Z.sql.gz");
    const result = await runScript(SCRIPT, [gz, "--dry-run"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`dagger call restore --env staging --file ${gz} --sidecar ${gz}.json\n`);
  });

  it("refuses to restore without --yes when there is no terminal to ask on (exit 1)", async () => {
    const result = await runScript(SCRIPT, [good], { env: { DAGGER: dagger.bin } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("refusing to restore without confirmation: no terminal to ask on");
    expect(result.stderr).toContain("--yes");
    expect(dagger.calls()).toEqual([]);
  });

  it("on a terminal, restores once the operator types the environment name", async () => {
    const typed = fakeDagger(join(dir, "typed-bin"));
    const result = await runScriptOnTerminal(SCRIPT, [good], "staging\n", { env: { DAGGER: typed.bin } });
    expect(result.stdout).toContain(`This replaces the staging database with ${NAME}`);
    expect(result.stdout).toContain("Type the environment name (staging) to continue:");
    expect(result.code).toBe(0);
    expect(typed.calls()).toHaveLength(1);
    expect(typed.calls()[0]?.slice(1, 3)).toEqual(["call", "restore"]);
  });

  it("on a terminal, changes nothing when the operator types anything else (exit 1)", async () => {
    const typed = fakeDagger(join(dir, "mistyped-bin"));
    const result = await runScriptOnTerminal(SCRIPT, [good], "production\n", { env: { DAGGER: typed.bin } });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("not confirmed (typed 'production', expected 'staging'); nothing was changed");
    expect(typed.calls()).toEqual([]);
  });

  it("--yes restores through dagger from the repository root", async () => {
    const result = await runScript(SCRIPT, ["--yes", good], { cwd: backups, env: { DAGGER: dagger.bin } });
    expect(result.code).toBe(0);
    expect(dagger.calls()).toEqual([
      [`cwd=${REPO_ROOT}`, "call", "restore", "--env", "staging", "--file", good, "--sidecar", `${good}.json`],
    ]);
  });

  it("fails with exit 1 and says so when the restore fails", async () => {
    const result = await runScript(SCRIPT, ["--yes", good], { env: { DAGGER: dagger.bin, FAKE_DAGGER_EXIT: "1" } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("call restore --env staging");
    expect(result.stderr).toContain("failed (exit 1)");
  });
});
