import { setTimeout as sleep } from "node:timers/promises";

/** Time as the scheduler sees it: the system clock in service, a fake one in tests. */
export interface Clock {
  now(): Date;
  /** Resolves once `until` has come (at once when it has); rejects when `signal` aborts. */
  waitUntil(until: Date, signal: AbortSignal): Promise<void>;
}

/** Longest single sleep: waking every minute keeps a schedule right across a clock step (NTP). */
const MAX_SLEEP_MS = 60_000;

export const systemClock: Clock = {
  now: () => new Date(),
  async waitUntil(until, signal) {
    for (;;) {
      signal.throwIfAborted();
      const remaining = until.getTime() - Date.now();
      if (remaining <= 0) return;
      await sleep(Math.min(remaining, MAX_SLEEP_MS), undefined, { signal });
    }
  },
};
