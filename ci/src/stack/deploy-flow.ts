/**
 * The order of `deploy` and what happens when a step fails (moved unchanged from the Dagger
 * module). Plain TypeScript over an interface of steps, unit-tested with a recording
 * implementation; deploy-steps.ts supplies the steps that run on the Docker engine.
 */

/** A step's optional one-line outcome for the report (a backup path, a release, ...). */
export type StepDetail = string | undefined;

/** One release as the ledger records it (`lh-ci releases record`). */
export interface LedgerEntry {
  commit: string;
  result: "verified" | "failed" | "rolled-back";
  startedAt: string;
  finishedAt: string;
  note?: string;
}

/** What the changes step found (DeploySteps.changes). */
export interface DatabaseChanges {
  unchanged: boolean;
  /** Undefined: not known, so the migrations are checked and migrate runs. */
  migrationsPending?: boolean;
  detail: string;
}

/** Everything `deploy` does, one method per step, in the order docs/architecture.md describes. */
export interface DeploySteps {
  /** `lh-ci env check` on the environment's configuration. */
  checkConfig(): Promise<StepDetail>;
  /** lint, typecheck and tests; absent where the caller ran them already (lh-ci deploy). */
  checks?(): Promise<StepDetail>;
  /** The four service images and the ops image of the release: built, or found ready to load. */
  images(): Promise<StepDetail>;
  /** `lh-ci lock acquire` on the target. */
  lock(): Promise<StepDetail>;
  /** `docker load` of the images into the target engine. */
  load(): Promise<StepDetail>;
  /**
   * The application role (DATABASE_URL's user) exists, is no superuser and owns the database and
   * its objects: created, or given them from the superuser (a stack from before it). Runs before
   * anything connects as that role. Absent: nothing to check (the recording tests).
   */
  databaseRole?(): Promise<StepDetail>;
  /**
   * Whether the deploy changes anything in the database: not when the release is the last
   * verified one and every one of its migrations is applied (a redeploy). `migrationsPending`
   * false: every migration the release carries is applied already (a release without a new
   * migration), so migrate would do nothing. Absent, or unsure: the deploy assumes both.
   */
  changes?(): Promise<DatabaseChanges>;
  /** `lh-ci backup` on the target (kept like any other backup). */
  backup(): Promise<StepDetail>;
  /** `lh-ci migrations check`: refuses destructive migrations unless allowed. */
  migrationsCheck(allowDestructive: boolean): Promise<StepDetail>;
  /** `prisma migrate deploy` as the one-shot compose service. */
  migrate(): Promise<StepDetail>;
  /**
   * `docker compose up --wait` of the given release; `withoutMigrate` when the changes step found
   * no migration pending (the one-shot migrate service is then not run again).
   */
  up(release: string, options?: { withoutMigrate?: boolean }): Promise<StepDetail>;
  /** `lh-ci verify` against the running stack. */
  verify(release: string): Promise<StepDetail>;
  /** `lh-ci releases current`: the last verified release, undefined when there is none. */
  currentRelease(): Promise<string | undefined>;
  /** `lh-ci releases previous`: the verified release before the current one, if any. */
  previousRelease(): Promise<string | undefined>;
  /** Brings the given release back: `compose up --wait` of its images, then `lh-ci verify`. */
  rollback(to: string): Promise<StepDetail>;
  /** `lh-ci releases record`. */
  record(entry: LedgerEntry): Promise<StepDetail>;
  /** Removes the images of releases older than the last five from the target. */
  prune(): Promise<StepDetail>;
  /** `lh-ci lock release`. */
  unlock(): Promise<StepDetail>;
}

export interface DeployOptions {
  /** The commit being deployed (the image tag). */
  release: string;
  /** Skip lint, typecheck and tests (a redeploy of a known commit). */
  skipChecks?: boolean;
  allowDestructiveMigrations?: boolean;
  /** Leave a release that failed verification running instead of rolling back. */
  noRollback?: boolean;
  /** Milliseconds since the epoch; injectable so that tests are deterministic. */
  now?: () => number;
  /** Told when a step starts and how it ended: progress lines. */
  onStep?: StepListener;
}

/** A step starting (`started`), or its outcome. */
export type StepListener = (event: { step: string; status: "started" } | StepOutcome) => void;

export type StepStatus = "ok" | "failed" | "skipped";

export interface StepOutcome {
  step: string;
  status: StepStatus;
  ms: number;
  detail?: string;
}

export interface DeployReport {
  ok: boolean;
  release: string;
  /** The release running when the deploy finished (after a rollback: the rollback target). */
  running?: string;
  rolledBackTo?: string;
  /** What the ledger recorded, if anything reached it. */
  recorded?: LedgerEntry;
  steps: StepOutcome[];
  /** Loud lines for the operator: failures, what needs manual care. */
  messages: string[];
  startedAt: string;
  finishedAt: string;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs one step, timing it and noting its outcome; rethrows nothing, returns whether it passed. */
export class StepRunner {
  readonly outcomes: StepOutcome[] = [];
  private readonly now: () => number;
  private readonly onStep: StepListener;

  constructor(now: () => number, onStep: StepListener = () => {}) {
    this.now = now;
    this.onStep = onStep;
  }

  async run(step: string, action: () => Promise<StepDetail>): Promise<{ ok: boolean; error?: string }> {
    const started = this.now();
    this.onStep({ step, status: "started" });
    try {
      const detail = await action();
      this.note({ step, status: "ok", ms: this.now() - started, ...(detail ? { detail } : {}) });
      return { ok: true };
    } catch (error) {
      const text = errorText(error);
      this.note({ step, status: "failed", ms: this.now() - started, detail: text });
      return { ok: false, error: text };
    }
  }

  skip(step: string, detail: string): void {
    this.note({ step, status: "skipped", ms: 0, detail });
  }

  private note(outcome: StepOutcome): void {
    this.outcomes.push(outcome);
    this.onStep(outcome);
  }
}

/**
 * The deploy: config check, checks, images, lock, load, backup, migrations check, migrate, up,
 * verify, record; a failed `up` or verify rolls back to the last verified release (unless
 * `noRollback`); the lock, once taken, is released in every outcome. Never throws: the report
 * says what ran and whether the deploy succeeded.
 */
export async function runDeploy(steps: DeploySteps, options: DeployOptions): Promise<DeployReport> {
  const now = options.now ?? Date.now;
  const startedAt = new Date(now()).toISOString();
  const runner = new StepRunner(now, options.onStep);
  const messages: string[] = [];
  const report = (ok: boolean, extra: Partial<DeployReport> = {}): DeployReport => ({
    ok,
    release: options.release,
    steps: runner.outcomes,
    messages,
    startedAt,
    finishedAt: new Date(now()).toISOString(),
    ...extra,
  });

  // Before the lock nothing has touched the target: a failure just stops.
  const before = await runBeforeLock(steps, options, runner);
  if (!before.ok) {
    messages.push(`deploy of ${options.release} failed at ${before.step}: ${before.error}; the target was not touched`);
    return report(false);
  }
  const lock = await runner.run("lock", () => steps.lock());
  if (!lock.ok) {
    messages.push(`could not take the deploy lock: ${lock.error}; the target was not touched`);
    return report(false);
  }

  const outcome = await runLocked(steps, options, runner, messages, startedAt, now);
  const unlock = await runner.run("unlock", () => steps.unlock());
  if (!unlock.ok) {
    messages.push(
      `the deploy lock could not be released (${unlock.error}); it expires by itself, or break it with: lh-ci lock release --force`,
    );
  }
  return report(outcome.ok, outcome.extra);
}

async function runBeforeLock(
  steps: DeploySteps,
  options: DeployOptions,
  runner: StepRunner,
): Promise<{ ok: true } | { ok: false; step: string; error: string }> {
  const config = await runner.run("check config", () => steps.checkConfig());
  if (!config.ok) return { ok: false, step: "check config", error: config.error ?? "" };
  if (options.skipChecks) {
    runner.skip("checks", "--skip-checks");
  } else if (steps.checks) {
    const checks = await runner.run("checks", async () => await steps.checks?.());
    if (!checks.ok) return { ok: false, step: "checks", error: checks.error ?? "" };
  }
  const images = await runner.run("images", () => steps.images());
  if (!images.ok) return { ok: false, step: "images", error: images.error ?? "" };
  return { ok: true };
}

interface LockedOutcome {
  ok: boolean;
  extra: Partial<DeployReport>;
}

/** Everything done while holding the lock; never throws. */
async function runLocked(
  steps: DeploySteps,
  options: DeployOptions,
  runner: StepRunner,
  messages: string[],
  startedAt: string,
  now: () => number,
): Promise<LockedOutcome> {
  const release = options.release;
  const record = async (result: LedgerEntry["result"], note?: string): Promise<LedgerEntry | undefined> => {
    const entry: LedgerEntry = {
      commit: release,
      result,
      startedAt,
      finishedAt: new Date(now()).toISOString(),
      ...(note ? { note } : {}),
    };
    const recorded = await runner.run("record", () => steps.record(entry));
    if (!recorded.ok) {
      messages.push(
        `the release ledger could not be written (${recorded.error}); record it by hand: lh-ci releases record --commit ${release} --result ${result}`,
      );
      return undefined;
    }
    return entry;
  };
  const failBeforeUp = async (step: string, error: string, advice: string): Promise<LockedOutcome> => {
    messages.push(`deploy of ${release} failed at ${step}: ${error}; ${advice}`);
    const recorded = await record("failed", `${step} failed: ${error}`);
    return { ok: false, extra: recorded ? { recorded } : {} };
  };
  const untouched = "the running release was not changed";

  const load = await runner.run("load", () => steps.load());
  if (!load.ok) return failBeforeUp("load", load.error ?? "", untouched);
  if (steps.databaseRole) {
    const role = await runner.run("database role", async () => await steps.databaseRole?.());
    if (!role.ok) {
      return failBeforeUp(
        "database role",
        role.error ?? "",
        `${untouched}; each change of this step is one transaction, applied whole or not at all`,
      );
    }
  }
  const changes = await databaseChanges(steps, runner);
  if (changes.unchanged) {
    // Nothing to protect: the backup would only cost time.
    runner.skip("backup", `${ALREADY_VERIFIED} (the backup service keeps the daily ones)`);
  } else {
    // A new release: its code will write to the database, so a backup comes first either way.
    const backup = await runner.run("backup", () => steps.backup());
    if (!backup.ok) return failBeforeUp("backup", backup.error ?? "", `${untouched}; no migration ran`);
  }
  if (changes.unchanged || changes.migrationsPending === false) {
    // prisma migrate deploy would apply nothing: its container's start and schema read are saved.
    const why = changes.unchanged
      ? ALREADY_VERIFIED
      : `no migration pending (every migration of ${release} is applied already)`;
    runner.skip("migrations check", why);
    runner.skip("migrate", why);
    return await upAndVerify(steps, options, runner, messages, record, { withoutMigrate: true });
  }
  const check = await runner.run("migrations check", () =>
    steps.migrationsCheck(options.allowDestructiveMigrations ?? false),
  );
  if (!check.ok) {
    return failBeforeUp(
      "migrations check",
      check.error ?? "",
      `${untouched}; review the migrations, or pass --allow-destructive-migrations once you have a backup you trust`,
    );
  }
  const migrate = await runner.run("migrate", () => steps.migrate());
  if (!migrate.ok) {
    return failBeforeUp(
      "migrate",
      migrate.error ?? "",
      `${untouched}, but a migration may have stopped halfway: inspect with lh-ci migrations status and resolve it by hand (migrations are forward-only); the backup from this deploy is on the target`,
    );
  }

  return await upAndVerify(steps, options, runner, messages, record);
}

const ALREADY_VERIFIED = "already the verified release, no migration pending";

/** What the deploy changes in the database (steps.changes); when unsure, everything: nothing is skipped. */
async function databaseChanges(steps: DeploySteps, runner: StepRunner): Promise<DatabaseChanges> {
  const unsure: DatabaseChanges = { unchanged: false, detail: "" };
  if (!steps.changes) return unsure;
  let found = unsure;
  await runner.run("changes", async () => {
    const changes = await steps.changes?.();
    if (changes) found = changes;
    return changes?.detail;
  });
  return found;
}

type Recorder = (result: LedgerEntry["result"], note?: string) => Promise<LedgerEntry | undefined>;

/** up, verify, and after them the ledger and retention, or the rollback. */
async function upAndVerify(
  steps: DeploySteps,
  options: DeployOptions,
  runner: StepRunner,
  messages: string[],
  record: Recorder,
  upOptions: { withoutMigrate?: boolean } = {},
): Promise<LockedOutcome> {
  const release = options.release;
  const up = await runner.run("up", () => steps.up(release, upOptions));
  if (!up.ok) {
    runner.skip("verify", "up failed");
    return failAfterUp(steps, options, runner, messages, record, { step: "up", error: up.error ?? "" });
  }
  const verify = await runner.run("verify", () => steps.verify(release));
  if (verify.ok) {
    const recorded = await record("verified");
    const prune = await runner.run("prune", () => steps.prune());
    if (!prune.ok) messages.push(`old images could not be pruned (${prune.error}); the deploy itself succeeded`);
    if (!recorded) return { ok: false, extra: { running: release } };
    return { ok: true, extra: { running: release, recorded } };
  }
  return failAfterUp(steps, options, runner, messages, record, { step: "verify", error: verify.error ?? "" });
}

/** `up` or verify failed: the new release may be serving. Roll back to the last verified one. */
async function failAfterUp(
  steps: DeploySteps,
  options: DeployOptions,
  runner: StepRunner,
  messages: string[],
  record: Recorder,
  failure: { step: "up" | "verify"; error: string },
): Promise<LockedOutcome> {
  // As the ledger notes have always said it: "verify failed: up failed: ..." when up failed.
  const error = failure.step === "up" ? `up failed: ${failure.error}` : failure.error;
  const release = options.release;
  const schema =
    "the database schema was left as migrated (migrations are forward-only): check that the old release works with it";
  messages.push(`${failure.step.toUpperCase()} FAILED for ${release}: ${failure.error}`);
  if (options.noRollback) {
    runner.skip("rollback", "--no-rollback");
    messages.push(`--no-rollback: ${release} is left running for inspection; roll back with: lh-ci rollback`);
    const recorded = await record("failed", `verify failed: ${error}; not rolled back (--no-rollback)`);
    return { ok: false, extra: { running: release, ...(recorded ? { recorded } : {}) } };
  }
  const { target, problem } = await rollbackTarget(steps, release);
  if (!target) {
    runner.skip("rollback", problem ?? "no previous verified release");
    messages.push(
      problem
        ? `the rollback target could not be read from the ledger (${problem}): ${release} is left as it is; roll back with: lh-ci rollback --to <commit>`
        : `no previous verified release to roll back to (first deploy?): ${release} is left as it is`,
    );
    const recorded = await record("failed", `verify failed: ${error}; nothing to roll back to`);
    return { ok: false, extra: { running: release, ...(recorded ? { recorded } : {}) } };
  }
  const rollback = await runner.run("rollback", () => steps.rollback(target));
  if (!rollback.ok) {
    messages.push(
      `ROLLBACK TO ${target} FAILED: ${rollback.error}; the environment needs manual action now (lh-ci stack status, lh-ci stack logs)`,
    );
    const recorded = await record("failed", `verify failed: ${error}; rollback to ${target} failed: ${rollback.error}`);
    return { ok: false, extra: { ...(recorded ? { recorded } : {}) } };
  }
  messages.push(`ROLLED BACK to ${target}; ${schema}`);
  const recorded = await record("rolled-back", `verify failed: ${error}; rolled back to ${target}`);
  return { ok: false, extra: { running: target, rolledBackTo: target, ...(recorded ? { recorded } : {}) } };
}

/**
 * The last verified release, unless that is the commit that just failed (a redeploy of the same
 * commit): then the verified release before it. Asked before the failure is recorded.
 */
async function rollbackTarget(
  steps: DeploySteps,
  failed: string,
): Promise<{ target: string | undefined; problem?: string }> {
  try {
    const current = await steps.currentRelease();
    if (current === undefined || current !== failed) return { target: current };
    return { target: await steps.previousRelease() };
  } catch (error) {
    return { target: undefined, problem: errorText(error) };
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** The readable report `lh-ci deploy` (and `dagger call deploy`) prints. */
export function formatReport(report: DeployReport, urls: readonly string[] = []): string {
  const lines = [
    `${report.ok ? "DEPLOYED" : "DEPLOY FAILED"}: release ${report.release}`,
    `started ${report.startedAt}, finished ${report.finishedAt}`,
    "",
    ...report.steps.map(
      (s) =>
        `  ${s.status.padEnd(7)} ${s.step.padEnd(17)} ${seconds(s.ms).padStart(7)}${s.detail ? `  ${s.detail}` : ""}`,
    ),
  ];
  if (report.running) lines.push("", `running now: ${report.running}`);
  if (report.recorded) lines.push(`ledger: ${report.recorded.commit} ${report.recorded.result}`);
  if (report.ok && urls.length > 0) lines.push("", ...urls.map((url) => `  ${url}`));
  if (report.messages.length > 0) lines.push("", ...report.messages.map((m) => `! ${m}`));
  return `${lines.join("\n")}\n`;
}
