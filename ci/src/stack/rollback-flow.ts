/**
 * An operator's rollback (docs/runbook.md, Rollback, steps 1-3): take the lock, pick the previous
 * verified release unless told which, bring its images back up, verify, record both ends in the
 * ledger, release the lock. Tested with a recording implementation.
 */
import {
  type DeployReport,
  type DeploySteps,
  type LedgerEntry,
  type StepDetail,
  type StepListener,
  StepRunner,
} from "./deploy-flow.ts";

export type RollbackSteps = Pick<
  DeploySteps,
  "lock" | "unlock" | "up" | "verify" | "currentRelease" | "previousRelease" | "record"
>;

export interface RollbackOptions {
  /** The release to go back to; default the previous verified release (`lh-ci releases previous`). */
  to?: string;
  now?: () => number;
  /** Told when a step starts and how it ended: progress lines. */
  onStep?: StepListener;
}

export async function runRollback(steps: RollbackSteps, options: RollbackOptions = {}): Promise<DeployReport> {
  const now = options.now ?? Date.now;
  const startedAt = new Date(now()).toISOString();
  const runner = new StepRunner(now, options.onStep);
  const outcomes = runner.outcomes;
  const messages: string[] = [];
  const run = async (step: string, action: () => Promise<StepDetail>): Promise<string | undefined> => {
    const result = await runner.run(step, action);
    return result.ok ? undefined : result.error || "failed";
  };
  const finish = (ok: boolean, release: string, extra: Partial<DeployReport> = {}): DeployReport => ({
    ok,
    release,
    steps: outcomes,
    messages,
    startedAt,
    finishedAt: new Date(now()).toISOString(),
    ...extra,
  });

  const lockError = await run("lock", () => steps.lock());
  if (lockError) {
    messages.push(`could not take the deploy lock: ${lockError}; nothing was changed`);
    return finish(false, options.to ?? "previous");
  }
  const result = await rollbackLocked(steps, options, run, messages, startedAt, now);
  const unlockError = await run("unlock", () => steps.unlock());
  if (unlockError) {
    messages.push(`the deploy lock could not be released (${unlockError}); break it with: lh-ci lock release --force`);
  }
  return finish(result.ok, result.release, result.extra);
}

async function rollbackLocked(
  steps: RollbackSteps,
  options: RollbackOptions,
  run: (step: string, action: () => Promise<StepDetail>) => Promise<string | undefined>,
  messages: string[],
  startedAt: string,
  now: () => number,
): Promise<{ ok: boolean; release: string; extra: Partial<DeployReport> }> {
  let current: string | undefined;
  let target = options.to;
  const targetError = await run("choose target", async () => {
    current = await steps.currentRelease();
    target ??= await steps.previousRelease();
    return `from ${current ?? "(no verified release)"} to ${target ?? "(none)"}`;
  });
  if (targetError || !target) {
    messages.push(
      targetError
        ? `could not read the release ledger: ${targetError}`
        : "there is no previous verified release to roll back to; name one with --to <commit> (lh-ci stack ops -- releases list)",
    );
    return { ok: false, release: options.to ?? "previous", extra: {} };
  }
  const to = target;
  const entry = (commit: string, result: LedgerEntry["result"], note: string): LedgerEntry => ({
    commit,
    result,
    startedAt,
    finishedAt: new Date(now()).toISOString(),
    note,
  });

  const upError = await run("up", () => steps.up(to));
  const verifyError = upError ? `up failed: ${upError}` : await run("verify", () => steps.verify(to));
  if (verifyError) {
    messages.push(
      `ROLLBACK TO ${to} FAILED: ${verifyError}; the environment needs manual action (lh-ci stack status, lh-ci stack logs)`,
    );
    await run("record", () =>
      steps.record(entry(to, "failed", `rollback from ${current ?? "?"} failed: ${verifyError}`)),
    );
    return { ok: false, release: to, extra: {} };
  }
  // The commit rolled away from is marked so that it is no longer "current"; the target is
  // recorded as verified so that it is (lh-ci's history rules, see ci/src/releases/history.ts).
  if (current && current !== to) {
    await run("record", () => steps.record(entry(current as string, "rolled-back", `operator rollback to ${to}`)));
  }
  const recorded = entry(to, "verified", `rollback from ${current ?? "?"}`);
  const recordError = await run("record", () => steps.record(recorded));
  if (recordError) {
    messages.push(
      `the ledger could not be written (${recordError}); record by hand: lh-ci releases record --commit ${to} --result verified`,
    );
  }
  messages.push(
    `rolled back to ${to}; the database schema was left as migrated (migrations are forward-only): check that ${to} works with it`,
  );
  return {
    ok: !recordError,
    release: to,
    extra: { running: to, rolledBackTo: to, ...(recordError ? {} : { recorded }) },
  };
}
