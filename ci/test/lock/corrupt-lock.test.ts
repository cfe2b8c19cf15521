import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/run-cli.ts";
import { tempDir } from "../support/temp-dir.ts";

const root = tempDir("lh-lock-corrupt-");
let counter = 0;

/** A state directory whose deploy.lock holds `content` (or is made by `make`). */
function stateWith(content: string | ((path: string) => void)): { env: Record<string, string>; path: string } {
  const dir = join(root, `state-${++counter}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "deploy.lock");
  if (typeof content === "string") writeFileSync(path, content);
  else content(path);
  return { path, env: { LH_STATE_DIR: dir } };
}

function lock(args: string[], env: Record<string, string>) {
  return runCli(["lock", ...args], { env, cwd: root });
}

const CORRUPT: Array<[string, string | ((path: string) => void), string]> = [
  ["null", "null\n", "it holds null, not a lock record"],
  ["{}", "{}\n", "it names no owner"],
  [
    "an unparseable expiry",
    JSON.stringify({ owner: "alice", acquiredAt: "2026-11-30T00:00:00Z", expiresAt: "next tuesday" }),
    "its expiresAt is not a time",
  ],
  ["text that is not JSON", "locked by bob", "it is not JSON"],
  ["a FIFO", (path) => execFileSync("mkfifo", ["--", path]), "it is not a regular file"],
];

describe("lh-ci lock with a corrupt lock file", () => {
  for (const [what, content, problem] of CORRUPT) {
    it(`holding ${what}: status says corrupt, acquire refuses naming the way out, acquire --force replaces it`, async () => {
      const { env, path } = stateWith(content);

      const status = await lock(["status"], env);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain(
        `the staging deploy lock is corrupt: the lock file ${path} is corrupt (${problem})`,
      );
      const json = JSON.parse((await lock(["status", "--json"], env)).stdout);
      expect(json).toMatchObject({ held: false, expired: false, corrupt: true, problem, lock: null });

      const refused = await lock(["acquire", "--owner", "carol"], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        `the staging deploy lock cannot be taken: the lock file ${path} is corrupt (${problem}); inspect it, then replace it with lh-ci lock acquire --force`,
      );

      const forced = await lock(["acquire", "--owner", "carol", "--force"], env);
      expect(forced.stderr).toContain(`warning: replaced (--force) the corrupt staging lock file ${path} (${problem})`);
      expect(forced.code).toBe(0);
      expect(JSON.parse(readFileSync(path, "utf8")).owner).toBe("carol");
      expect((await lock(["status"], env)).stdout).toContain("deploy lock is held by carol");
    });
  }

  it("release refuses a corrupt lock file, release --force removes it", async () => {
    const { env, path } = stateWith("null");
    const refused = await lock(["release", "--owner", "carol"], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`the lock file ${path} is corrupt (it holds null, not a lock record)`);
    const forced = await lock(["release", "--force"], env);
    expect(forced.code).toBe(0);
    expect((await lock(["status"], env)).stdout).toContain("the staging deploy lock is free");
  });

  for (const ttl of ["0.5s", "999ms", "169h", "99999999999h"]) {
    it(`refuses --ttl ${ttl} as out of range with exit 2, leaving the lock free`, async () => {
      const { env, path } = stateWith(() => undefined);
      const result = await lock(["acquire", "--ttl", ttl], env);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`--ttl: "${ttl}" is out of range; use between 1s and 168h`);
      expect((await lock(["status"], env)).stdout).toContain("free");
      expect(() => readFileSync(path)).toThrow();
    });
  }

  it("accepts --ttl at the bounds", async () => {
    for (const ttl of ["1s", "168h"]) {
      const { env } = stateWith(() => undefined);
      expect((await lock(["acquire", "--ttl", ttl], env)).code).toBe(0);
    }
  });
});
