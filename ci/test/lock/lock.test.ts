import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/run-cli.ts";
import { tempDir } from "../support/temp-dir.ts";

const root = tempDir("lh-lock-");
let counter = 0;

/** A state directory of its own for each test, so tests cannot see each other's locks. */
function freshState(): { env: Record<string, string>; dir: string } {
  const dir = join(root, `state-${++counter}`);
  return { dir, env: { LH_STATE_DIR: dir } };
}

/** A lock that expired a minute ago, as a crashed deploy leaves it (a --ttl under 1s is refused). */
function writeExpiredLock(dir: string, owner: string, commit?: string): void {
  mkdirSync(dir, { recursive: true });
  const now = Date.now();
  const record = {
    owner,
    ...(commit ? { commit } : {}),
    acquiredAt: new Date(now - 120_000).toISOString(),
    expiresAt: new Date(now - 60_000).toISOString(),
    host: "gone-host",
    pid: 1,
  };
  writeFileSync(join(dir, "deploy.lock"), JSON.stringify(record));
}

function lock(args: string[], env: Record<string, string>) {
  return runCli(["lock", ...args], { env, cwd: root });
}

describe("lh-ci lock", () => {
  it("of twenty concurrent acquire processes exactly one wins; the others name the winner", async () => {
    const { env, dir } = freshState();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        lock(["acquire", "--owner", `racer-${index}`, "--commit", `c0ffee${index}`, "--reason", "race"], env),
      ),
    );
    const winners = results.filter((result) => result.code === 0);
    const losers = results.filter((result) => result.code === 1);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(19);
    const held = JSON.parse(readFileSync(join(dir, "deploy.lock"), "utf8"));
    expect(winners[0]?.stdout).toContain(`held by ${held.owner} `);
    for (const loser of losers) {
      expect(loser.stderr).toContain(`deploy lock is held by ${held.owner} for commit ${held.commit} since`);
      expect(loser.stderr).toContain("reason: race");
    }
  });

  it("status shows who holds it, for which commit, since when and why", async () => {
    const { env } = freshState();
    expect((await lock(["status"], env)).stdout).toContain("the staging deploy lock is free");
    await lock(["acquire", "--owner", "alice", "--commit", "abc1234", "--reason", "deploy develop"], env);
    const text = await lock(["status"], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/held by alice for commit abc1234 since \d{4}-\d\d-\d\dT.*reason: deploy develop/);
    const json = JSON.parse((await lock(["status", "--json"], env)).stdout);
    expect(json).toMatchObject({ env: "staging", held: true, expired: false });
    expect(json.lock).toMatchObject({ owner: "alice", commit: "abc1234", reason: "deploy develop" });
  });

  it("is released only by its holder; --force breaks it with a notice", async () => {
    const { env } = freshState();
    await lock(["acquire", "--owner", "alice"], env);
    const stranger = await lock(["release", "--owner", "bob"], env);
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toContain("bob cannot release the staging deploy lock: it is held by alice");

    const forced = await lock(["release", "--owner", "bob", "--force"], env);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toContain("warning: broke (--force) the staging deploy lock that was held by alice");

    await lock(["acquire", "--owner", "alice"], env);
    const own = await lock(["release", "--owner", "alice"], env);
    expect(own.code).toBe(0);
    expect(own.stdout).toContain("released the staging deploy lock (held by alice)");
    const again = await lock(["release", "--owner", "alice"], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("not held; nothing to release");
  });

  it("refuses a held lock, takes over an expired one with a notice", async () => {
    const { env, dir } = freshState();
    await lock(["acquire", "--owner", "alice", "--ttl", "30m"], env);
    const refused = await lock(["acquire", "--owner", "bob"], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("expires");

    await lock(["release", "--owner", "alice"], env);
    writeExpiredLock(dir, "carol", "dead000");
    expect((await lock(["status"], env)).stdout).toContain("(expired: the next lock acquire takes it over)");
    const takeover = await lock(["acquire", "--owner", "bob"], env);
    expect(takeover.code).toBe(0);
    expect(takeover.stderr).toContain(
      "warning: took over the expired staging deploy lock that was held by carol for commit dead000",
    );
    expect(JSON.parse((await lock(["status", "--json"], env)).stdout).lock.owner).toBe("bob");
  });

  it("of twenty processes racing for an expired lock exactly one takes it over", async () => {
    const { env, dir } = freshState();
    writeExpiredLock(dir, "gone");
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) => lock(["acquire", "--owner", `racer-${index}`], env)),
    );
    const winners = results.filter((result) => result.code === 0);
    expect(winners).toHaveLength(1);
    expect(winners[0]?.stderr).toContain("took over the expired staging deploy lock that was held by gone");
    const held = JSON.parse(readFileSync(join(dir, "deploy.lock"), "utf8"));
    expect(winners[0]?.stdout).toContain(`held by ${held.owner} `);
  });

  it("acquire --force takes an unexpired lock and names whose it was", async () => {
    const { env } = freshState();
    await lock(["acquire", "--owner", "alice", "--commit", "abc1234"], env);
    const forced = await lock(["acquire", "--owner", "bob", "--force", "--json"], env);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toContain("warning: broke (--force) staging deploy lock that was held by alice");
    expect(JSON.parse(forced.stdout)).toMatchObject({ outcome: "taken-over", lock: { owner: "bob" } });
  });

  it("refuses a --ttl that is not a duration with exit 2", async () => {
    const { env } = freshState();
    const result = await lock(["acquire", "--ttl", "soon"], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--ttl: "soon" is not a duration');
  });

  it("defaults the state directory to .lh-state/<env> under the current directory", async () => {
    const cwd = tempDir("lh-lock-cwd-");
    const result = await runCli(["lock", "acquire", "--owner", "dora"], { cwd });
    expect(result.code).toBe(0);
    expect(JSON.parse(readFileSync(join(cwd, ".lh-state", "staging", "deploy.lock"), "utf8")).owner).toBe("dora");
  });
});
