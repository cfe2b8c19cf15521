import { type JobContext, type RunRecord, runBackupJob, type Trigger } from "./run-job.ts";
import { catchUpDue, newestBackupTime, slotAtOrAfter } from "./slots.ts";

export interface ScheduleLoop {
  context: JobContext;
  /** Aborting it ends the wait for the next backup at once. */
  signal: AbortSignal;
  /** Each run's record, with the time of the next backup. */
  onRecord(record: RunRecord & { nextAt: string }): void;
  /** Stop after this many runs (tests); the service runs until stopped. */
  maxRuns?: number;
}

/**
 * The backup service: a catch-up backup at start when the newest backup is older than one
 * interval (the service was down at the scheduled time), then one run per schedule time, until
 * the signal aborts. A run that overran the next time skips it instead of running back to back.
 */
export async function runSchedule(loop: ScheduleLoop): Promise<void> {
  const { context, signal } = loop;
  const { clock, settings } = context;
  let runs = 0;
  const more = () => !signal.aborted && (loop.maxRuns === undefined || runs < loop.maxRuns);
  const started = clock.now();
  let slot = slotAtOrAfter(started, settings);
  if (catchUpDue(newestBackupTime(context.dir, context.envName, started), started, settings)) {
    context.log.info("The newest backup is older than the interval (or there is none): backing up now.");
    const record = await safeRun(context, "catch-up", started);
    slot = slotAtOrAfter(new Date(Math.max(clock.now().getTime(), slot.getTime())), settings);
    runs += 1;
    loop.onRecord({ ...record, nextAt: slot.toISOString() });
  }
  while (more()) {
    context.log.info(`Next backup at ${slot.toISOString()}.`);
    try {
      await clock.waitUntil(slot, signal);
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    }
    const record = await safeRun(context, "schedule", slot);
    const earliest = Math.max(clock.now().getTime(), slot.getTime() + settings.intervalMs);
    slot = slotAtOrAfter(new Date(earliest), settings);
    runs += 1;
    loop.onRecord({ ...record, nextAt: slot.toISOString() });
  }
}

/** A run that could not even start (state directory unwritable, lock file corrupt) is a failed run, not the end of the service. */
async function safeRun(context: JobContext, trigger: Trigger, slot: Date): Promise<RunRecord> {
  try {
    return await runBackupJob(context, trigger, slot);
  } catch (error) {
    return {
      event: "backup-schedule",
      trigger,
      outcome: "failed",
      slot: slot.toISOString(),
      startedAt: context.clock.now().toISOString(),
      durationMs: 0,
      error: (error as Error).message,
    };
  }
}
