import { setTimeout as sleep } from "node:timers/promises";
import { formatDuration } from "../state/duration.ts";
import { type Check, CheckFailure, type CheckReport } from "./check.ts";

export interface RunOptions {
  /** The whole verification's budget: every check passes within it or fails. */
  deadlineMs: number;
  /** Budget of one attempt (a request, a connection), capped by what is left of the deadline. */
  attemptTimeoutMs: number;
  /** Called when a check finishes, for progress output. */
  onReport?: (report: CheckReport) => void;
}

const FIRST_PAUSE_MS = 250;
const MAX_PAUSE_MS = 2000;
/** Time a last attempt needs to be worth making. */
const LAST_ATTEMPT_MS = 100;

/** Rejects as soon as `signal` aborts, whatever the attempt is doing: the deadline is a hard bound. */
function bounded<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

async function runOne(check: Check, deadline: AbortSignal, deadlineAt: number, options: RunOptions) {
  const started = performance.now();
  let attempts = 0;
  let reason = "";
  let pause = FIRST_PAUSE_MS;
  const report = (status: "pass" | "fail", detail: string): CheckReport => ({
    name: check.name,
    target: check.target,
    status,
    durationMs: Math.round(performance.now() - started),
    attempts,
    detail,
  });

  while (!deadline.aborted) {
    const untilDeadline = deadlineAt - Date.now();
    // An attempt cut short to end with the deadline times out *because of* the deadline: say so,
    // whichever of the two timers happens to fire first.
    const endsWithDeadline = untilDeadline <= options.attemptTimeoutMs;
    const timeoutMs = Math.max(1, Math.min(options.attemptTimeoutMs, untilDeadline));
    const attemptTimeout = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([deadline, attemptTimeout]);
    attempts++;
    try {
      return report("pass", await bounded(check.attempt(signal, timeoutMs), signal));
    } catch (error) {
      if (deadline.aborted && !attemptTimeout.aborted) {
        // Cut by the deadline: the previous attempt's reason says more than "interrupted".
        reason ||= `timed out after ${formatDuration(options.deadlineMs)} (the --timeout deadline)`;
        break;
      }
      // The last attempt, cut short by its deadline-bound timeout: the same holds.
      if (signal.aborted && endsWithDeadline && reason) break;
      reason = signal.aborted
        ? endsWithDeadline
          ? `timed out after ${formatDuration(options.deadlineMs)} (the --timeout deadline) waiting for ${check.target}`
          : `timed out after ${formatDuration(timeoutMs)} waiting for ${check.target}`
        : error instanceof Error
          ? error.message
          : String(error);
      if (error instanceof CheckFailure && error.final) break;
    }
    // Back off, but keep a last attempt just before the deadline rather than giving up early.
    const left = deadlineAt - Date.now() - LAST_ATTEMPT_MS;
    if (left <= 0) break;
    await sleep(Math.min(pause, left), undefined, { signal: deadline }).catch(() => undefined);
    pause = Math.min(pause * 2, MAX_PAUSE_MS);
  }
  return report("fail", reason || `timed out after ${formatDuration(options.deadlineMs)} (the --timeout deadline)`);
}

/**
 * Runs every check concurrently, each retrying with backoff (services may still be starting)
 * until it passes or the shared deadline passes. The total time is bounded by the deadline, not by
 * the sum of the checks.
 */
export async function runChecks(checks: Check[], options: RunOptions): Promise<CheckReport[]> {
  const deadline = AbortSignal.timeout(options.deadlineMs);
  const deadlineAt = Date.now() + options.deadlineMs;
  return Promise.all(
    checks.map(async (check) => {
      const result = await runOne(check, deadline, deadlineAt, options);
      options.onReport?.(result);
      return result;
    }),
  );
}
