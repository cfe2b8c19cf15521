import { rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The service touches this file while its event loop runs; the container's health check reads its age. */
export const HEARTBEAT_INTERVAL_MS = 30_000;
const STALE_AFTER_MS = 3 * HEARTBEAT_INTERVAL_MS;

export function heartbeatPath(envName: string): string {
  return join(tmpdir(), `lh-ci-backup-schedule-${envName}.heartbeat`);
}

/** Writes the heartbeat now and every interval; returns the function that stops it (and removes the file). */
export function startHeartbeat(envName: string): () => void {
  const path = heartbeatPath(envName);
  const beat = () => writeFileSync(path, `${process.pid} ${new Date().toISOString()}\n`);
  beat();
  const timer = setInterval(beat, HEARTBEAT_INTERVAL_MS);
  return () => {
    clearInterval(timer);
    rmSync(path, { force: true });
  };
}

/** Why the service is not healthy, or undefined when its heartbeat is fresh. */
export function heartbeatProblem(envName: string, now = Date.now()): string | undefined {
  const path = heartbeatPath(envName);
  let mtime: number;
  try {
    mtime = statSync(path).mtimeMs;
  } catch {
    return `no heartbeat at ${path}: the backup service is not running (or not started yet) in this container`;
  }
  const age = now - mtime;
  if (age > STALE_AFTER_MS) {
    return `the heartbeat at ${path} is ${Math.round(age / 1000)}s old: the backup service is stuck`;
  }
  return undefined;
}
