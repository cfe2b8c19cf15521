import { unlinkSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { createExclusive, fsyncDirectory, replaceAtomically } from "../state/durable-file.ts";
import { withMutex } from "../state/mutex.ts";
import { readRegularFile, SmallFileError } from "../state/read-regular-file.ts";
import { ensureStateDir } from "../state/state-dir.ts";

/** Who holds an environment's deploy lock, since when, for which commit and why. */
export interface LockRecord {
  owner: string;
  reason?: string;
  commit?: string;
  acquiredAt: string;
  expiresAt: string;
  host: string;
  pid: number;
}

export interface AcquireRequest {
  owner: string;
  reason?: string;
  commit?: string;
  ttlMs: number;
  /** Take the lock even from an unexpired holder. */
  force?: boolean;
  now?: Date;
}

export type AcquireResult =
  | { outcome: "acquired"; lock: LockRecord }
  /** The previous lock had expired (or --force): it was replaced. */
  | { outcome: "taken-over"; lock: LockRecord; previous: LockRecord }
  | { outcome: "held"; holder: LockRecord }
  /** The lock file holds no valid lock: only --force replaces it. */
  | { outcome: "corrupt"; problem: string }
  | { outcome: "replaced-corrupt"; lock: LockRecord; problem: string };

export type ReleaseResult =
  | { outcome: "released"; lock: LockRecord; forced: boolean }
  | { outcome: "not-held" }
  | { outcome: "held-by-other"; holder: LockRecord }
  | { outcome: "corrupt"; problem: string }
  | { outcome: "removed-corrupt"; problem: string };

/** What the lock file says: nobody holds the lock, someone does, or it cannot be read as a lock. */
export type LockState = { state: "free" } | { state: "held"; lock: LockRecord } | { state: "corrupt"; problem: string };

/** A lock file is a few hundred bytes; anything near this is not one. */
const LOCK_LIMIT_BYTES = 64 * 1024;

/** Why parsed JSON is not a lock record (null, {}, an expiry that is not a time...), or undefined. */
export function lockRecordProblem(data: unknown): string | undefined {
  if (!data || typeof data !== "object" || Array.isArray(data)) {
    return `it holds ${data === null ? "null" : Array.isArray(data) ? "an array" : typeof data}, not a lock record`;
  }
  const record = data as Record<string, unknown>;
  if (typeof record.owner !== "string" || record.owner === "") return "it names no owner";
  for (const field of ["acquiredAt", "expiresAt"]) {
    const value = record[field];
    if (typeof value !== "string" || !Number.isFinite(Date.parse(value))) return `its ${field} is not a time`;
  }
  return undefined;
}

export function isExpired(lock: LockRecord, now = new Date()): boolean {
  return Date.parse(lock.expiresAt) <= now.getTime();
}

/**
 * The deploy lock of one environment: one file, `deploy.lock`, in the state directory.
 * Every read-decide-write step runs under a short O_EXCL mutex, and the lock file itself is
 * created with O_EXCL semantics and replaced by rename, so two racers can never both win and a
 * reader never sees a half-written lock.
 */
export class DeployLock {
  readonly dir: string;
  readonly path: string;
  readonly #mutex: string;

  constructor(dir: string) {
    this.dir = dir;
    this.path = join(dir, "deploy.lock");
    this.#mutex = join(dir, "deploy.lock.mutex");
  }

  /** The lock file's state: free, held (expired or not), or corrupt with what is wrong. */
  inspect(): LockState {
    let text: string;
    try {
      text = readRegularFile(this.path, LOCK_LIMIT_BYTES).toString("utf8");
    } catch (error) {
      if (!(error instanceof SmallFileError)) throw error;
      if (error.problem === "missing") return { state: "free" };
      return { state: "corrupt", problem: `it ${error.message}` };
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      return { state: "corrupt", problem: "it is not JSON" };
    }
    const problem = lockRecordProblem(data);
    return problem ? { state: "corrupt", problem } : { state: "held", lock: data as LockRecord };
  }

  async acquire(request: AcquireRequest): Promise<AcquireResult> {
    ensureStateDir(this.dir);
    const now = request.now ?? new Date();
    const lock: LockRecord = {
      owner: request.owner,
      ...(request.reason ? { reason: request.reason } : {}),
      ...(request.commit ? { commit: request.commit } : {}),
      acquiredAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + request.ttlMs).toISOString(),
      host: hostname(),
      pid: process.pid,
    };
    const content = `${JSON.stringify(lock, null, 2)}\n`;
    return withMutex(this.#mutex, (): AcquireResult => {
      const current = this.inspect();
      if (current.state === "free") {
        if (createExclusive(this.path, content)) return { outcome: "acquired", lock };
        const winner = this.inspect();
        if (winner.state === "held") return { outcome: "held", holder: winner.lock };
        if (winner.state === "corrupt") return { outcome: "corrupt", problem: winner.problem };
        throw new Error(`${this.path} appeared and vanished while acquiring; retry`);
      }
      if (current.state === "corrupt") {
        if (!request.force) return { outcome: "corrupt", problem: current.problem };
        replaceAtomically(this.path, content);
        return { outcome: "replaced-corrupt", lock, problem: current.problem };
      }
      if (!request.force && !isExpired(current.lock, now)) return { outcome: "held", holder: current.lock };
      replaceAtomically(this.path, content);
      return { outcome: "taken-over", lock, previous: current.lock };
    });
  }

  /** Releases the lock: only its owner may, unless `force`. */
  async release(owner: string, force = false): Promise<ReleaseResult> {
    ensureStateDir(this.dir);
    return withMutex(this.#mutex, (): ReleaseResult => {
      const current = this.inspect();
      if (current.state === "free") return { outcome: "not-held" };
      if (current.state === "corrupt") {
        if (!force) return { outcome: "corrupt", problem: current.problem };
        this.#remove();
        return { outcome: "removed-corrupt", problem: current.problem };
      }
      if (current.lock.owner !== owner && !force) return { outcome: "held-by-other", holder: current.lock };
      this.#remove();
      return { outcome: "released", lock: current.lock, forced: current.lock.owner !== owner };
    });
  }

  #remove(): void {
    unlinkSync(this.path);
    fsyncDirectory(this.dir);
  }
}

/** "alice (commit abc1234) since 2026-11-25T10:15:00Z, expires in 25m: deploy of develop" */
export function describeLock(lock: LockRecord, now = new Date()): string {
  const remaining = Date.parse(lock.expiresAt) - now.getTime();
  const expiry =
    remaining > 0 ? `expires ${lock.expiresAt} (in ${Math.ceil(remaining / 60_000)}m)` : `expired at ${lock.expiresAt}`;
  const commit = lock.commit ? ` for commit ${lock.commit}` : "";
  const reason = lock.reason ? `, reason: ${lock.reason}` : "";
  return `held by ${lock.owner}${commit} since ${lock.acquiredAt} (on ${lock.host ?? "?"}, pid ${lock.pid ?? "?"}), ${expiry}${reason}`;
}

/** "the lock file ... is corrupt (null): ..." with the way out, for every command that meets it. */
export function describeCorrupt(path: string, problem: string): string {
  return `the lock file ${path} is corrupt (${problem}); inspect it, then replace it with lh-ci lock acquire --force (or remove it with lh-ci lock release --force)`;
}
