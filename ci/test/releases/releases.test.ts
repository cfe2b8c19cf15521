import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/run-cli.ts";
import { tempDir } from "../support/temp-dir.ts";

const root = tempDir("lh-releases-");
let counter = 0;

function freshState(): { env: Record<string, string>; ledger: string } {
  const dir = join(root, `state-${++counter}`);
  return { env: { LH_STATE_DIR: dir }, ledger: join(dir, "releases.jsonl") };
}

function releases(args: string[], env: Record<string, string>) {
  return runCli(["releases", ...args], { env, cwd: root });
}

function sha(n: number): string {
  return n.toString(16).padStart(7, "0").padEnd(40, "a");
}

function record(env: Record<string, string>, commit: string, result: string, extra: string[] = []) {
  return releases(
    [
      "record",
      "--commit",
      commit,
      "--image",
      `api=lawyers-hub/api:${commit}`,
      "--image",
      `web=lawyers-hub/web:${commit}`,
      "--by",
      "ci",
      "--started",
      "2026-11-25T10:15:00Z",
      "--result",
      result,
      ...extra,
    ],
    env,
  );
}

async function listed(env: Record<string, string>): Promise<Array<{ commit: string; result: string }>> {
  const result = await releases(["list", "--json", "--limit", "0"], env);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
}

describe("lh-ci releases", () => {
  it("records a release with its images, who, when and result", async () => {
    const { env } = freshState();
    const recorded = await record(env, sha(1), "verified", ["--finished", "2026-11-25T10:20:00Z", "--note", "first"]);
    expect(recorded.code).toBe(0);
    const [entry] = JSON.parse((await releases(["list", "--json"], env)).stdout);
    expect(entry).toMatchObject({
      commit: sha(1),
      images: { api: `lawyers-hub/api:${sha(1)}`, web: `lawyers-hub/web:${sha(1)}` },
      by: "ci",
      startedAt: "2026-11-25T10:15:00.000Z",
      finishedAt: "2026-11-25T10:20:00.000Z",
      result: "verified",
      note: "first",
    });
    expect((await releases(["list"], env)).stdout).toContain(`${sha(1)} verified 2026-11-25T10:20:00.000Z by ci`);
  });

  it("loses nothing when several processes append at once", async () => {
    const { env, ledger } = freshState();
    const commits = Array.from({ length: 12 }, (_, index) => sha(100 + index));
    const results = await Promise.all(commits.map((commit) => record(env, commit, "verified")));
    expect(results.map((result) => result.code)).toEqual(commits.map(() => 0));
    const entries = await listed(env);
    expect(entries.map((entry) => entry.commit).sort()).toEqual([...commits].sort());
    const lines = readFileSync(ledger, "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(12);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it("reads every earlier entry when the last line was cut short by a crash, and appends after it", async () => {
    const { env, ledger } = freshState();
    await record(env, sha(1), "verified");
    await record(env, sha(2), "verified");
    appendFileSync(ledger, `{"commit":"${sha(3)}","images":{"api":"lawyers-hub/a`);

    const afterCrash = await releases(["list", "--json"], env);
    expect(afterCrash.code).toBe(0);
    expect(JSON.parse(afterCrash.stdout).map((entry: { commit: string }) => entry.commit)).toEqual([sha(2), sha(1)]);
    expect(afterCrash.stderr).toContain("releases.jsonl:3: skipped, not a complete JSON entry");

    expect((await record(env, sha(4), "verified")).code).toBe(0);
    expect((await listed(env)).map((entry) => entry.commit)).toEqual([sha(4), sha(2), sha(1)]);
    const current = await releases(["current"], env);
    expect(current.stdout.trim().split("\n").at(-1)).toBe(sha(4));
  });

  it("previous is the last verified release before the current one, after verified and failed releases", async () => {
    const { env } = freshState();
    await record(env, sha(1), "verified");
    await record(env, sha(2), "failed");
    await record(env, sha(3), "verified");
    await record(env, sha(3), "verified", ["--note", "redeploy of the same commit"]);
    await record(env, sha(4), "failed");

    const current = await releases(["current"], env);
    expect(current.code).toBe(0);
    expect(current.stdout.trim().split("\n").at(-1)).toBe(sha(3));
    const previous = await releases(["previous"], env);
    expect(previous.code).toBe(0);
    expect(previous.stdout.trim().split("\n").at(-1)).toBe(sha(1));
    expect(previous.stderr).toContain(`${sha(1)} verified`);

    const json = await releases(["previous", "--json"], env);
    expect(JSON.parse(json.stdout)).toMatchObject({ commit: sha(1), result: "verified" });

    // Rolling back from sha(3) makes sha(1) current and leaves nothing before it.
    await record(env, sha(3), "rolled-back", ["--note", "rolled back to the previous release"]);
    expect((await releases(["current"], env)).stdout.trim()).toBe(sha(1));
    const none = await releases(["previous"], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`no verified release before the current one (${sha(1)})`);
    expect(none.stderr).toContain("nothing to roll back to");
  });

  it("current and previous fail clearly on an empty ledger", async () => {
    const { env } = freshState();
    for (const command of ["current", "previous"]) {
      const result = await releases([command], env);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(/error: no verified release in .*releases\.jsonl \(0 entries\)/);
    }
  });

  it("refuses a bad commit, result, image or time with exit 2", async () => {
    const { env, ledger } = freshState();
    const cases: Array<[string[], string]> = [
      [["--commit", "main", "--started", "2026-11-25T10:15:00Z", "--result", "verified"], "--commit:"],
      [["--commit", sha(1), "--started", "2026-11-25T10:15:00Z", "--result", "ok"], "--result: required, one of"],
      [["--commit", sha(1), "--started", "yesterday", "--result", "verified"], "--started:"],
      [["--commit", sha(1), "--result", "verified"], "--started: required"],
      [["--commit", sha(1), "--started", "2026-11-25T10:15:00Z", "--result", "verified", "--image", "api"], "--image:"],
    ];
    for (const [args, message] of cases) {
      const result = await releases(["record", ...args], env);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
    }
    expect(() => readFileSync(ledger)).toThrow();
  });
});
