import { execFile } from "node:child_process";
import { accessSync, constants, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, SCRIPTS_DIR } from "./support/run-script.ts";

const run = promisify(execFile);

function shellFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".sh"))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

const ALL = shellFiles(SCRIPTS_DIR);
const OPERATOR_SCRIPTS = ALL.filter((file) => !relative(SCRIPTS_DIR, file).startsWith("lib/"));

describe("operator scripts", () => {
  it("are the three the runbook names", () => {
    expect(OPERATOR_SCRIPTS.map((file) => relative(REPO_ROOT, file))).toEqual([
      "scripts/backup-staging.sh",
      "scripts/restore-staging.sh",
      "scripts/rollback-staging.sh",
    ]);
  });

  it.each(ALL.map((file) => [relative(REPO_ROOT, file), file]))("%s is shellcheck clean", async (_name, file) => {
    // From another directory on purpose: the source directives must resolve from the script itself.
    const result = await run("shellcheck", ["--external-sources", "--severity=style", file], { cwd: "/" }).then(
      () => ({ code: 0, stdout: "" }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );
    expect(result.stdout).toBe("");
    expect(result.code).toBe(0);
  });

  it.each(OPERATOR_SCRIPTS.map((file) => [relative(REPO_ROOT, file), file]))(
    "%s is an executable bash script with strict mode",
    (_name, file) => {
      const text = readFileSync(file, "utf8");
      expect(text.startsWith("#!/usr/bin/env bash\n")).toBe(true);
      expect(text).toMatch(/^set -euo pipefail$/m);
      expect(() => accessSync(file, constants.X_OK)).not.toThrow();
    },
  );
});
