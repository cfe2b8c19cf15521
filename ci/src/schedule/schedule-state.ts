import { closeSync, fstatSync, mkdirSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../cli/exit-codes.ts";
import { replaceAtomically } from "../state/durable-file.ts";

/**
 * What the backup service remembers across restarts, in the state directory (beside the deploy
 * lock): the failures counter and the last restore test, so that their metrics survive a restart
 * and the weekly restore test stays weekly. Written only by the holder of the schedule's lock.
 */
export interface ScheduleState {
  /** Scheduled runs that failed, since the state directory was created (a Prometheus counter). */
  failures: number;
  lastBackup?: { file: string; finishedAt: string; durationSeconds: number; sizeBytes: number };
  restoreTest?: { lastAttemptAt: string; ok: boolean; file: string; lastSuccessAt?: string; error?: string };
}

const MAX_STATE_BYTES = 64 * 1024;

/** The folder of the schedule's lock and state, inside the environment's state directory. */
export function scheduleDir(stateDir: string): string {
  return join(stateDir, "backup-schedule");
}

function statePath(stateDir: string): string {
  return join(scheduleDir(stateDir), "state.json");
}

export function readScheduleState(stateDir: string): ScheduleState {
  const path = statePath(stateDir);
  let text: string;
  try {
    text = readBounded(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { failures: 0 };
    throw error;
  }
  try {
    const state = JSON.parse(text) as ScheduleState;
    if (!Number.isInteger(state.failures) || state.failures < 0) throw new Error("no failures counter");
    return state;
  } catch {
    throw new UsageError(
      `${path} is not a valid backup schedule state file; move it away (the failures counter and the last restore test start over) and start again`,
    );
  }
}

export function writeScheduleState(stateDir: string, state: ScheduleState): void {
  mkdirSync(scheduleDir(stateDir), { recursive: true });
  replaceAtomically(statePath(stateDir), `${JSON.stringify(state, null, 2)}\n`, 0o600);
}

function readBounded(path: string): string {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    if (size > MAX_STATE_BYTES) {
      throw new UsageError(`${path} is ${size} bytes, more than a schedule state file ever holds; move it away`);
    }
    const buffer = Buffer.alloc(size);
    const read = readSync(fd, buffer, 0, size, 0);
    return buffer.subarray(0, read).toString("utf8");
  } finally {
    closeSync(fd);
  }
}
