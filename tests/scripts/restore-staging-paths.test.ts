import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../ci/test/support/temp-dir.ts";
import { runScript, SCRIPTS_DIR } from "./support/run-script.ts";

const SCRIPT = join(SCRIPTS_DIR, "restore-staging.sh");
const NAME = "lawyers_hub_staging_20261125T101500Z.sql";

/**
 * A stand-in for the Dagger CLI that records its arguments NUL-separated, so that a newline
 * inside an argument is seen exactly as it was passed.
 */
function exactDagger(dir: string): { bin: string; args: () => string[] } {
  mkdirSync(dir, { recursive: true });
  const bin = join(dir, "dagger");
  const log = join(dir, "args");
  writeFileSync(bin, `#!/usr/bin/env bash\nprintf '%s\\0' "$@" >${JSON.stringify(log)}\n`);
  chmodSync(bin, 0o755);
  return { bin, args: () => readFileSync(log, "utf8").split("\0").slice(0, -1) };
}

function backup(dir: string, content: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, NAME);
  writeFileSync(file, content);
  writeFileSync(`${file}.json`, "{}\n");
  return file;
}

describe("scripts/restore-staging.sh with awkward paths", () => {
  const root = tempDir("lh-restore-paths-");

  it("restores a file under a folder starting with a dash (after --), passing exactly that file", async () => {
    const file = backup(join(root, "-dashed"), "dashed");
    const dagger = exactDagger(join(root, "bin-dash"));
    const result = await runScript(SCRIPT, ["--yes", "--", join("-dashed", NAME)], {
      cwd: root,
      env: { DAGGER: dagger.bin },
    });
    expect(result.stderr).not.toContain("basename");
    expect(result.code).toBe(0);
    expect(dagger.args()).toEqual(["call", "restore", "--env", "staging", "--file", file, "--sidecar", `${file}.json`]);
  });

  it("a folder whose name ends with a newline: checks and passes that very file, not its look-alike", async () => {
    const checked = backup(join(root, "nl", "staging\n"), "the one named");
    backup(join(root, "nl", "staging"), "the look-alike");
    const dagger = exactDagger(join(root, "bin-nl"));
    const result = await runScript(SCRIPT, ["--yes", join("nl", "staging\n", NAME)], {
      cwd: root,
      env: { DAGGER: dagger.bin },
    });
    expect(result.code).toBe(0);
    const args = dagger.args();
    expect(args[5]).toBe(checked);
    expect(args[7]).toBe(`${checked}.json`);
    expect(readFileSync(args[5] ?? "", "utf8")).toBe("the one named");
  });

  it("a folder ending with a newline whose look-alike alone holds the backup is refused, not swapped", async () => {
    backup(join(root, "swap", "staging"), "the look-alike");
    mkdirSync(join(root, "swap", "staging\n"), { recursive: true });
    const dagger = exactDagger(join(root, "bin-swap"));
    const result = await runScript(SCRIPT, ["--yes", join("swap", "staging\n", NAME)], {
      cwd: root,
      env: { DAGGER: dagger.bin },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`no such file: $'swap/staging\\n/${NAME}'`);
    expect(() => dagger.args()).toThrow();
  });

  it("--dry-run shows a newline in a path quoted, never raw", async () => {
    const checked = backup(join(root, "dry", "staging\n"), "x");
    const result = await runScript(SCRIPT, ["--dry-run", join("dry", "staging\n", NAME)], { cwd: root });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `dagger call restore --env staging --file $'${join(root, "dry")}/staging\\n/${NAME}' --sidecar $'${join(root, "dry")}/staging\\n/${NAME}.json'\n`,
    );
    expect(checked).toContain("\n");
  });

  it("accepts the -2, -3... names of backups taken in the same second, and no other suffix", async () => {
    const dir = join(root, "seq");
    const second = join(dir, "lawyers_hub_staging_20261125T101500Z-2.sql");
    mkdirSync(dir, { recursive: true });
    writeFileSync(second, "x");
    writeFileSync(`${second}.json`, "{}");
    expect((await runScript(SCRIPT, ["--dry-run", second])).code).toBe(0);
    for (const bad of ["-1", "-02", "-1000", "-x"]) {
      const result = await runScript(SCRIPT, [
        "--dry-run",
        join(dir, `lawyers_hub_staging_20261125T101500Z${bad}.sql`),
      ]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("is not named like a staging backup");
    }
  });
});
