import { closeSync, openSync, statSync, unlinkSync, writeSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { explainWriteFailure } from "./write-failure.ts";

export interface MutexOptions {
  /** How long to wait for the mutex before giving up. */
  waitMs?: number;
  /**
   * A mutex file older than this is left over from a crashed process and is broken. Critical
   * sections last milliseconds, so this is far above any real holding time.
   */
  staleMs?: number;
}

/** Thrown when the mutex stays taken for longer than `waitMs`. */
export class MutexTimeoutError extends Error {
  override name = "MutexTimeoutError";
}

function tryCreate(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw explainWriteFailure(error, path);
  }
  try {
    writeSync(fd, `${process.pid} ${new Date().toISOString()}\n`);
  } catch (error) {
    // Not taken after all: a mutex file left behind would block every lh-ci for its stale time.
    closeSync(fd);
    unlinkSync(path);
    throw explainWriteFailure(error, path);
  }
  closeSync(fd);
  return true;
}

function breakIfStale(path: string, staleMs: number): void {
  try {
    if (Date.now() - statSync(path).mtimeMs > staleMs) unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

/**
 * Runs `critical` while holding a short-lived mutex: a file created with O_EXCL (`wx`), so that
 * of any number of processes exactly one is inside at a time. Used for read-decide-write steps
 * on the state directory (taking over an expired deploy lock, releasing it).
 */
export async function withMutex<T>(path: string, critical: () => T, options: MutexOptions = {}): Promise<T> {
  const waitMs = options.waitMs ?? 15_000;
  const staleMs = options.staleMs ?? 10_000;
  const deadline = Date.now() + waitMs;
  let pause = 2;
  while (!tryCreate(path)) {
    breakIfStale(path, staleMs);
    if (Date.now() > deadline) {
      throw new MutexTimeoutError(
        `${path} stayed taken for ${Math.round(waitMs / 1000)}s; another lh-ci process is busy with this state directory, retry shortly (or delete the file if no lh-ci process is running)`,
      );
    }
    // Jittered backoff, so twenty waiting processes do not retry in lockstep.
    await sleep(pause + Math.random() * pause);
    pause = Math.min(pause * 2, 50);
  }
  try {
    return critical();
  } finally {
    unlinkSync(path);
  }
}
