import { describe, expect, it } from "vitest";
import type { LedgerEntry } from "../../src/stack/deploy-flow.ts";
import { type RollbackSteps, runRollback } from "../../src/stack/rollback-flow.ts";

const CURRENT = "cccccccccccccccccccccccccccccccccccccccc";
const PREVIOUS = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const CHOSEN = "9999999999999999999999999999999999999999";

class RecordingRollback implements RollbackSteps {
  readonly calls: string[] = [];
  readonly ledger: LedgerEntry[] = [];
  private readonly fail: Set<string>;
  private readonly previous: string | undefined;

  // null: the ledger has no previous release (undefined would take the default).
  constructor(fail: string[] = [], previous: string | null = PREVIOUS) {
    this.fail = new Set(fail);
    this.previous = previous ?? undefined;
  }

  private async step(name: string, label = name): Promise<undefined> {
    this.calls.push(label);
    if (this.fail.has(name)) throw new Error(`${name} broke`);
    return undefined;
  }

  lock = () => this.step("lock");
  unlock = () => this.step("unlock");
  up = (release: string) => this.step("up", `up(${release.slice(0, 3)})`);
  verify = (release: string) => this.step("verify", `verify(${release.slice(0, 3)})`);
  async currentRelease() {
    await this.step("currentRelease");
    return CURRENT;
  }
  async previousRelease() {
    await this.step("previousRelease");
    return this.previous;
  }
  async record(entry: LedgerEntry) {
    await this.step("record");
    this.ledger.push(entry);
    return undefined;
  }
}

describe("runRollback", () => {
  it("by default goes back to the previous verified release and records both ends", async () => {
    const steps = new RecordingRollback();
    const report = await runRollback(steps);
    expect(steps.calls).toEqual([
      "lock",
      "currentRelease",
      "previousRelease",
      "up(aaa)",
      "verify(aaa)",
      "record",
      "record",
      "unlock",
    ]);
    expect(steps.ledger.map((e) => [e.commit, e.result])).toEqual([
      [CURRENT, "rolled-back"],
      [PREVIOUS, "verified"],
    ]);
    expect(report).toMatchObject({ ok: true, running: PREVIOUS });
  });

  it("goes to the release named with --to", async () => {
    const steps = new RecordingRollback();
    const report = await runRollback(steps, { to: CHOSEN });
    expect(steps.calls).not.toContain("previousRelease");
    expect(steps.calls).toContain("up(999)");
    expect(report.rolledBackTo).toBe(CHOSEN);
  });

  it("with nothing to roll back to, changes nothing and releases the lock", async () => {
    const steps = new RecordingRollback([], null);
    const report = await runRollback(steps);
    expect(steps.calls).toEqual(["lock", "currentRelease", "previousRelease", "unlock"]);
    expect(report.ok).toBe(false);
    expect(report.messages.join("\n")).toContain("--to <commit>");
  });

  it("a target that fails verification is recorded failed and the lock is released", async () => {
    const steps = new RecordingRollback(["verify"]);
    const report = await runRollback(steps);
    expect(steps.ledger).toEqual([expect.objectContaining({ commit: PREVIOUS, result: "failed" })]);
    expect(steps.calls.at(-1)).toBe("unlock");
    expect(report.ok).toBe(false);
  });

  it("a held lock stops it before anything runs", async () => {
    const steps = new RecordingRollback(["lock"]);
    const report = await runRollback(steps);
    expect(steps.calls).toEqual(["lock"]);
    expect(report.ok).toBe(false);
  });
});
