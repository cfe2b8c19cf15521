import { readFileSync, unlinkSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { createExclusive, fsyncDirectory, replaceAtomically } from "../state/durable-file.ts";
import { withMutex } from "../state/mutex.ts";
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
  | { outcome: "held"; holder: LockRecord };

export type ReleaseResult =
  | { outcome: "released"; lock: LockRecord; forced: boolean }
  | { outcome: "not-held" }
  | { outcome: "held-by-other"; holder: LockRecord };

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

  /** The current lock (expired or not), or undefined when nobody holds it. */
  read(): LockRecord | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    try {
      return JSON.parse(text) as LockRecord;
    } catch {
      throw new Error(
        `${this.path} is not a valid lock file; inspect it, then remove it with lh-ci lock release --force`,
      );
    }
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
      const current = this.#readQuietly();
      if (!current) {
        if (createExclusive(this.path, content)) return { outcome: "acquired", lock };
        const winner = this.read();
        if (winner) return { outcome: "held", holder: winner };
        throw new Error(`${this.path} appeared and vanished while acquiring; retry`);
      }
      if (!request.force && !isExpired(current, now)) return { outcome: "held", holder: current };
      replaceAtomically(this.path, content);
      return { outcome: "taken-over", lock, previous: current };
    });
  }

  /** Releases the lock: only its owner may, unless `force`. */
  async release(owner: string, force = false): Promise<ReleaseResult> {
    ensureStateDir(this.dir);
    return withMutex(this.#mutex, (): ReleaseResult => {
      const current = this.#readQuietly();
      if (!current) return { outcome: "not-held" };
      if (current.owner !== owner && !force) return { outcome: "held-by-other", holder: current };
      unlinkSync(this.path);
      fsyncDirectory(this.dir);
      return { outcome: "released", lock: current, forced: current.owner !== owner };
    });
  }

  /** Like read(), but a corrupt file counts as a lock anyone may replace only with --force. */
  #readQuietly(): LockRecord | undefined {
    try {
      return this.read();
    } catch {
      return {
        owner: "(unreadable lock file)",
        acquiredAt: new Date(0).toISOString(),
        expiresAt: new Date(8.64e15).toISOString(),
        host: "?",
        pid: 0,
      };
    }
  }
}

/** "alice (commit abc1234) since 2026-11-25T10:15:00Z, expires in 25m: deploy of develop" */
export function describeLock(lock: LockRecord, now = new Date()): string {
  const remaining = Date.parse(lock.expiresAt) - now.getTime();
  const expiry =
    remaining > 0 ? `expires ${lock.expiresAt} (in ${Math.ceil(remaining / 60_000)}m)` : `expired at ${lock.expiresAt}`;
  const commit = lock.commit ? ` for commit ${lock.commit}` : "";
  const reason = lock.reason ? `, reason: ${lock.reason}` : "";
  return `held by ${lock.owner}${commit} since ${lock.acquiredAt} (on ${lock.host}, pid ${lock.pid}), ${expiry}${reason}`;
}
