import { describe, expect, it } from "vitest";
import {
  type DatabaseChanges,
  type DeployOptions,
  type DeploySteps,
  formatReport,
  type LedgerEntry,
  runDeploy,
} from "../../src/stack/deploy-flow.ts";

const NEW = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const OLD = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const OLDER = "9999999999999999999999999999999999999999";

type StepName = keyof DeploySteps;

/** A recording implementation: notes every call, fails the steps it is told to. */
class RecordingSteps implements DeploySteps {
  readonly calls: string[] = [];
  readonly ledger: LedgerEntry[] = [];
  private readonly failing: Set<StepName>;
  private readonly current: string | undefined;
  private readonly previous: string | undefined;

  constructor(options: { fail?: StepName[]; current?: string; previous?: string } = {}) {
    this.failing = new Set(options.fail ?? []);
    this.current = options.current;
    this.previous = options.previous;
  }

  protected async step(name: StepName, label: string = name): Promise<string | undefined> {
    this.calls.push(label);
    if (this.failing.has(name)) throw new Error(`${name} broke`);
    return undefined;
  }

  checkConfig = () => this.step("checkConfig");
  checks = () => this.step("checks");
  images = () => this.step("images");
  lock = () => this.step("lock");
  load = () => this.step("load");
  backup = () => this.step("backup");
  migrationsCheck = (allow: boolean) => this.step("migrationsCheck", `migrationsCheck(${allow})`);
  migrate = () => this.step("migrate");
  up = (release: string, options?: { withoutMigrate?: boolean }) =>
    this.step("up", `up(${release.slice(0, 3)}${options?.withoutMigrate ? ", without migrate" : ""})`);
  verify = (release: string) => this.step("verify", `verify(${release.slice(0, 3)})`);
  rollback = (to: string) => this.step("rollback", `rollback(${to.slice(0, 3)})`);
  prune = () => this.step("prune");
  unlock = () => this.step("unlock");
  async currentRelease() {
    await this.step("currentRelease");
    return this.current;
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

let tick = 0;
const options = (extra: Partial<DeployOptions> = {}): DeployOptions => ({
  release: NEW,
  now: () => Date.UTC(2026, 10, 25, 10, 0, 0) + 1000 * tick++,
  ...extra,
});

const BEFORE_UP = ["checkConfig", "checks", "images", "lock", "load", "backup", "migrationsCheck(false)", "migrate"];

describe("runDeploy: the order of a deploy", () => {
  it("runs every step in order and records a verified release when all pass", async () => {
    const steps = new RecordingSteps({ current: OLD });
    const report = await runDeploy(steps, options());
    expect(steps.calls).toEqual([...BEFORE_UP, "up(bbb)", "verify(bbb)", "record", "prune", "unlock"]);
    expect(report.ok).toBe(true);
    expect(report.running).toBe(NEW);
    expect(steps.ledger).toEqual([expect.objectContaining({ commit: NEW, result: "verified" })]);
    expect(report.steps.map((s) => s.status)).not.toContain("failed");
  });

  it("skips the checks with --skip-checks and passes --allow-destructive-migrations on", async () => {
    const steps = new RecordingSteps();
    const report = await runDeploy(steps, options({ skipChecks: true, allowDestructiveMigrations: true }));
    expect(steps.calls.slice(0, 4)).toEqual(["checkConfig", "images", "lock", "load"]);
    expect(steps.calls).toContain("migrationsCheck(true)");
    expect(report.steps.find((s) => s.step === "checks")).toMatchObject({ status: "skipped", detail: "--skip-checks" });
    expect(report.ok).toBe(true);
  });
});

/** RecordingSteps that also answer whether the deploy changes the database. */
class StepsWithChanges extends RecordingSteps {
  private readonly answer: () => Promise<DatabaseChanges>;

  constructor(answer: () => Promise<DatabaseChanges>, fail: StepName[] = []) {
    super({ current: NEW, previous: OLD, fail });
    this.answer = answer;
  }

  changes = async () => {
    this.calls.push("changes");
    return await this.answer();
  };
}

describe("runDeploy: a redeploy that changes nothing in the database", () => {
  it("skips backup, migrations check and migrate, saying why, and still runs up, verify and the ledger", async () => {
    const steps = new StepsWithChanges(async () => ({ unchanged: true, detail: "none" }));
    const report = await runDeploy(steps, options({ skipChecks: true }));
    expect(steps.calls).toEqual([
      "checkConfig",
      "images",
      "lock",
      "load",
      "changes",
      "up(bbb, without migrate)",
      "verify(bbb)",
      "record",
      "prune",
      "unlock",
    ]);
    expect(report.ok).toBe(true);
    const skipped = report.steps.filter((step) => step.status === "skipped" && step.step !== "checks");
    expect(skipped.map((step) => step.step)).toEqual(["backup", "migrations check", "migrate"]);
    for (const step of skipped) expect(step.detail).toContain("already the verified release, no migration pending");
  });

  it("runs every step when something changed", async () => {
    const steps = new StepsWithChanges(async () => ({ unchanged: false, detail: "new release" }));
    await runDeploy(steps, options({ skipChecks: true }));
    expect(steps.calls).toEqual([
      ...BEFORE_UP.filter((call) => call !== "checks").slice(0, 4),
      "changes",
      ...BEFORE_UP.slice(5),
      "up(bbb)",
      "verify(bbb)",
      "record",
      "prune",
      "unlock",
    ]);
  });

  it("a new release whose migrations are all applied is backed up, but neither checked nor migrated", async () => {
    const steps = new StepsWithChanges(async () => ({
      unchanged: false,
      migrationsPending: false,
      detail: "new release",
    }));
    const report = await runDeploy(steps, options({ skipChecks: true }));
    expect(steps.calls).toEqual([
      ...BEFORE_UP.filter((call) => call !== "checks").slice(0, 4),
      "changes",
      "backup",
      "up(bbb, without migrate)",
      "verify(bbb)",
      "record",
      "prune",
      "unlock",
    ]);
    const skipped = report.steps.filter((step) => step.status === "skipped" && step.step !== "checks");
    expect(skipped.map((step) => step.step)).toEqual(["migrations check", "migrate"]);
    for (const step of skipped)
      expect(step.detail).toBe(`no migration pending (every migration of ${NEW} is applied already)`);
  });

  it("runs every step when the question cannot be answered (fails closed)", async () => {
    const steps = new StepsWithChanges(async () => {
      throw new Error("database down");
    });
    const report = await runDeploy(steps, options({ skipChecks: true }));
    expect(steps.calls).toContain("backup");
    expect(steps.calls).toContain("migrate");
    expect(report.steps.find((step) => step.step === "changes")).toMatchObject({
      status: "failed",
      detail: "database down",
    });
  });

  it("a failed verify after a skipped backup still rolls back to the release before", async () => {
    const steps = new StepsWithChanges(async () => ({ unchanged: true, detail: "none" }), ["verify"]);
    const report = await runDeploy(steps, options({ skipChecks: true }));
    expect(report).toMatchObject({ ok: false, rolledBackTo: OLD });
    expect(report.messages[0]).toMatch(/^VERIFY FAILED for b+: verify broke/);
  });
});

describe("runDeploy: failures before the lock touch nothing", () => {
  it.each([
    ["checkConfig", ["checkConfig"]],
    ["checks", ["checkConfig", "checks"]],
    ["images", ["checkConfig", "checks", "images"]],
  ] as const)("a failed %s stops there: no lock, no ledger entry", async (step, ran) => {
    const steps = new RecordingSteps({ fail: [step], current: OLD });
    const report = await runDeploy(steps, options());
    expect(steps.calls).toEqual(ran);
    expect(steps.ledger).toEqual([]);
    expect(report.ok).toBe(false);
    expect(report.messages.join("\n")).toContain("the target was not touched");
  });

  it("a lock held by someone else stops the deploy and releases nothing it does not hold", async () => {
    const steps = new RecordingSteps({ fail: ["lock"], current: OLD });
    const report = await runDeploy(steps, options());
    expect(steps.calls).toEqual(["checkConfig", "checks", "images", "lock"]);
    expect(steps.ledger).toEqual([]);
    expect(report.ok).toBe(false);
  });
});

describe("runDeploy: failures under the lock stop before up, record failed, release the lock", () => {
  it.each([
    ["load", 5],
    ["backup", 6],
    ["migrationsCheck", 7],
    ["migrate", 8],
  ] as const)("a failed %s", async (step, ranBefore) => {
    const steps = new RecordingSteps({ fail: [step], current: OLD });
    const report = await runDeploy(steps, options());
    expect(steps.calls).toEqual([...BEFORE_UP.slice(0, ranBefore), "record", "unlock"]);
    expect(steps.calls.some((call) => call.startsWith("up("))).toBe(false);
    expect(steps.ledger).toEqual([expect.objectContaining({ commit: NEW, result: "failed" })]);
    expect(steps.ledger[0]?.note).toContain(`${step === "migrationsCheck" ? "migrations check" : step} failed`);
    expect(report.ok).toBe(false);
    expect(report.running).toBeUndefined();
  });

  it("a failed migration says that the database may need manual care", async () => {
    const steps = new RecordingSteps({ fail: ["migrate"], current: OLD });
    const report = await runDeploy(steps, options());
    expect(report.messages.join("\n")).toMatch(/migration may have stopped halfway/);
  });
});

describe("runDeploy: a failed verify rolls back to the previous verified release", () => {
  it("rolls back, records rolled-back and releases the lock", async () => {
    const steps = new RecordingSteps({ fail: ["verify"], current: OLD, previous: OLDER });
    const report = await runDeploy(steps, options());
    expect(steps.calls).toEqual([
      ...BEFORE_UP,
      "up(bbb)",
      "verify(bbb)",
      "currentRelease",
      "rollback(aaa)",
      "record",
      "unlock",
    ]);
    expect(steps.ledger).toEqual([expect.objectContaining({ commit: NEW, result: "rolled-back" })]);
    expect(steps.ledger[0]?.note).toContain(`rolled back to ${OLD}`);
    expect(report).toMatchObject({ ok: false, running: OLD, rolledBackTo: OLD });
    expect(report.messages.join("\n")).toMatch(/ROLLED BACK to a+; the database schema was left as migrated/);
  });

  it("a failed up (health-gated wait) rolls back the same way, without verifying", async () => {
    const steps = new RecordingSteps({ fail: ["up"], current: OLD });
    const report = await runDeploy(steps, options());
    expect(steps.calls).toEqual([...BEFORE_UP, "up(bbb)", "currentRelease", "rollback(aaa)", "record", "unlock"]);
    expect(report.rolledBackTo).toBe(OLD);
    expect(report.messages[0]).toMatch(/^UP FAILED for b+: up broke/);
    expect(steps.ledger[0]?.note).toContain("verify failed: up failed: up broke");
  });

  it("a redeploy of the current commit that fails rolls back to the release before it", async () => {
    const steps = new RecordingSteps({ fail: ["verify"], current: NEW, previous: OLD });
    const report = await runDeploy(steps, options());
    expect(steps.calls).toContain("previousRelease");
    expect(steps.calls).toContain("rollback(aaa)");
    expect(report.rolledBackTo).toBe(OLD);
  });

  it("with --no-rollback leaves the release running and records failed", async () => {
    const steps = new RecordingSteps({ fail: ["verify"], current: OLD });
    const report = await runDeploy(steps, options({ noRollback: true }));
    expect(steps.calls).toEqual([...BEFORE_UP, "up(bbb)", "verify(bbb)", "record", "unlock"]);
    expect(steps.ledger).toEqual([expect.objectContaining({ commit: NEW, result: "failed" })]);
    expect(report).toMatchObject({ ok: false, running: NEW });
    expect(report.rolledBackTo).toBeUndefined();
  });

  it("the first deploy (no previous release) fails without a rollback", async () => {
    const steps = new RecordingSteps({ fail: ["verify"] });
    const report = await runDeploy(steps, options());
    expect(steps.calls).toEqual([...BEFORE_UP, "up(bbb)", "verify(bbb)", "currentRelease", "record", "unlock"]);
    expect(steps.ledger).toEqual([expect.objectContaining({ result: "failed" })]);
    expect(report.ok).toBe(false);
    expect(report.messages.join("\n")).toContain("no previous verified release to roll back to");
  });

  it("a failed rollback records failed, says manual action is needed, and still releases the lock", async () => {
    const steps = new RecordingSteps({ fail: ["verify", "rollback"], current: OLD });
    const report = await runDeploy(steps, options());
    expect(steps.calls.slice(-3)).toEqual(["rollback(aaa)", "record", "unlock"]);
    expect(steps.ledger).toEqual([expect.objectContaining({ commit: NEW, result: "failed" })]);
    expect(report.messages.join("\n")).toMatch(/ROLLBACK TO a+ FAILED.*manual action/);
    expect(report.ok).toBe(false);
  });

  it("an unreadable ledger means no rollback target: the release is left, and the report says why", async () => {
    const steps = new RecordingSteps({ fail: ["verify", "currentRelease"], current: OLD });
    const report = await runDeploy(steps, options());
    expect(steps.calls).not.toContain("rollback(aaa)");
    expect(report.messages.join("\n")).toContain("could not be read from the ledger");
    expect(steps.calls.at(-1)).toBe("unlock");
  });
});

describe("runDeploy: record, prune and unlock", () => {
  it("a verified release whose ledger write fails is reported as failed (the ledger decides rollbacks)", async () => {
    const steps = new RecordingSteps({ fail: ["record"], current: OLD });
    const report = await runDeploy(steps, options());
    expect(report.ok).toBe(false);
    expect(report.running).toBe(NEW);
    expect(report.messages.join("\n")).toContain(`lh-ci releases record --commit ${NEW} --result verified`);
    expect(steps.calls.at(-1)).toBe("unlock");
  });

  it("a failed prune is a warning, not a failed deploy", async () => {
    const steps = new RecordingSteps({ fail: ["prune"], current: OLD });
    const report = await runDeploy(steps, options());
    expect(report.ok).toBe(true);
    expect(report.messages.join("\n")).toContain("could not be pruned");
  });

  it("a failed unlock is reported with the command that breaks the lock", async () => {
    const steps = new RecordingSteps({ fail: ["unlock"], current: OLD });
    const report = await runDeploy(steps, options());
    expect(report.ok).toBe(true);
    expect(report.messages.join("\n")).toContain("lh-ci lock release --force");
  });
});

describe("formatReport", () => {
  it("shows the outcome, every step with its time, the release running and the URLs", async () => {
    const report = await runDeploy(new RecordingSteps({ current: OLD }), options());
    const text = formatReport(report, ["web: http://staging.example:3000"]);
    expect(text).toMatch(/^DEPLOYED: release b{40}/);
    expect(text).toMatch(/ok\s+migrate\s+\d+\.\ds/);
    expect(text).toContain(`running now: ${NEW}`);
    expect(text).toContain("web: http://staging.example:3000");
  });

  it("a failed deploy starts with DEPLOY FAILED and lists the loud messages", async () => {
    const report = await runDeploy(new RecordingSteps({ fail: ["verify"], current: OLD }), options());
    const text = formatReport(report, ["web: http://staging.example:3000"]);
    expect(text).toMatch(/^DEPLOY FAILED/);
    expect(text).toContain("! ROLLED BACK to");
    expect(text).not.toContain("http://staging.example:3000");
  });
});

/** RecordingSteps with the database role step (deploy-steps.ts has it; it is optional in the flow). */
class StepsWithRole extends RecordingSteps {
  databaseRole = () => this.step("databaseRole");
}

describe("runDeploy: the database role step", () => {
  it("runs right after load, before anything connects as the application role (backup, migrate)", async () => {
    const steps = new StepsWithRole({ current: OLD });
    const report = await runDeploy(steps, options());
    expect(steps.calls.slice(0, 7)).toEqual([
      "checkConfig",
      "checks",
      "images",
      "lock",
      "load",
      "databaseRole",
      "backup",
    ]);
    expect(report.steps.find((s) => s.step === "database role")).toMatchObject({ status: "ok" });
    expect(report.ok).toBe(true);
  });

  it("when it fails: no backup, no migration, the running release untouched, recorded failed, the lock released", async () => {
    const steps = new StepsWithRole({ current: OLD, fail: ["databaseRole"] });
    const report = await runDeploy(steps, options());
    expect(steps.calls).toEqual([
      "checkConfig",
      "checks",
      "images",
      "lock",
      "load",
      "databaseRole",
      "record",
      "unlock",
    ]);
    expect(report.ok).toBe(false);
    expect(steps.ledger).toEqual([
      expect.objectContaining({ result: "failed", note: "database role failed: databaseRole broke" }),
    ]);
    expect(report.messages.join("\n")).toContain(
      "failed at database role: databaseRole broke; the running release was not changed",
    );
  });
});
