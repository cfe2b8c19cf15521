import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./support/run-script.ts";

const run = promisify(execFile);

// CI's entry point and the e2e's provisioning run as root on fresh machines: shellcheck them too.
const E2E_DIR = join(REPO_ROOT, "tests/e2e");
const FILES = [
  join(REPO_ROOT, ".ci/run"),
  ...readdirSync(E2E_DIR, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".sh"))
    .map((entry) => join(entry.parentPath, entry.name)),
].sort();

describe("CI and e2e provisioning scripts", () => {
  it("include the provisioning steps and the stand-ins' entrypoints", () => {
    const names = FILES.map((file) => relative(REPO_ROOT, file));
    expect(names).toEqual(
      expect.arrayContaining([
        ".ci/run",
        "tests/e2e/provision.sh",
        "tests/e2e/provision/engine.sh",
        "tests/e2e/stand-ins/postgres/docker-entrypoint.sh",
      ]),
    );
  });

  it.each(FILES.map((file) => [relative(REPO_ROOT, file), file]))("%s is shellcheck clean", async (_name, file) => {
    const result = await run("shellcheck", ["--external-sources", "--severity=style", file], { cwd: REPO_ROOT }).then(
      () => ({ code: 0, stdout: "" }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );
    expect(result.stdout).toBe("");
    expect(result.code).toBe(0);
  });
});
