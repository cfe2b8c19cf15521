// lh-ci's bundle (ci/rolldown.config.mjs) is what the ops image runs; every other test runs the
// sources. This builds it from this checkout and runs it for real: the commands load, the SQL
// parser (left outside the bundle) resolves, and a backup restores to the same database.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { COMMANDS } from "../src/cli/registry.ts";
import { DB_PASSWORD, databaseFingerprint, seededDatabase } from "./backup/support.ts";
import { withClient } from "./support/database.ts";
import { buildLhCiBundle } from "./support/lh-ci-bundle.ts";
import { minimalEnvironment, runProcess } from "./support/run-process.ts";
import { lhCiNodeArgs } from "./support/shebang.ts";
import { tempDir } from "./support/temp-dir.ts";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
let bundle = "";

function bundled(args: string[], cwd: string, env: Record<string, string> = {}) {
  return runProcess(process.execPath, [...lhCiNodeArgs(bundle), ...args], { cwd, env: minimalEnvironment(env) });
}

describe("the bundled lh-ci (what the ops image runs)", () => {
  beforeAll(() => {
    bundle = buildLhCiBundle();
  }, 150_000);

  it("keeps lh-ci's shebang and its Node options", () => {
    expect(readFileSync(bundle, "utf8").split("\n", 1)[0]).toBe("#!/usr/bin/env -S node --");
  });

  it("starts every command as one Node process without V8 options (they would cost Node its built-in code cache)", async () => {
    // A preloaded probe prints the V8 flags of every Node process the command runs as. The SQL
    // parser's --liftoff-only and the restore's gc are set at run time (v8-flags-at-run-time.test.ts).
    const probe = join(tempDir("lh-bundle-probe-"), "print-exec-argv.cjs");
    writeFileSync(probe, 'process.stderr.write("exec-argv " + JSON.stringify(process.execArgv) + "\\n");\n');
    const flagsOf = async (args: string[]) => {
      const result = await bundled(args, REPO_ROOT, { NODE_OPTIONS: `--require ${probe}` });
      expect(result.code, result.stderr).toBe(0);
      return result.stderr.split("\n").filter((line) => line !== "");
    };
    for (const command of [
      ["backup", "--help"],
      ["restore", "--help"],
      ["backup", "verify", "--help"],
      ["session", "--help"],
      ["--help"],
    ]) {
      expect(await flagsOf(command)).toEqual(["exec-argv []"]);
    }
  });

  it("loads every command", async () => {
    const result = await bundled(["--help"], REPO_ROOT);
    expect(result.code, result.stderr).toBe(0);
    for (const { name } of COMMANDS) expect(result.stdout).toContain(`  ${name} `);
  });

  it("backs up and restores a database exactly, checking the dump with the SQL parser", async () => {
    const db = await seededDatabase("lh_bundle");
    const cwd = tempDir("lh-bundle-");
    const before = await databaseFingerprint(db.url);
    const backup = await bundled(["backup"], cwd, { DATABASE_URL: db.secretUrl });
    expect(backup.code, backup.stderr).toBe(0);
    const path = join(cwd, backup.stdout.trim().split("\n").at(-1) ?? "");

    await withClient(db.url, (client) => client.query("DELETE FROM matters; CREATE TABLE newcomer (id int)"));
    const restore = await bundled(["restore", path, "--yes", "--allow-superuser"], cwd, { DATABASE_URL: db.secretUrl });
    expect(restore.code, restore.stderr).toBe(0);
    expect(await databaseFingerprint(db.url)).toEqual(before);
    expect(`${backup.stderr}${restore.stdout}${restore.stderr}`).not.toContain(DB_PASSWORD);
  });
});
