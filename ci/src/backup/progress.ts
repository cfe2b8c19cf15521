import { formatBytes } from "./format.ts";

/**
 * Progress of a long dump or restore on stderr: one plain line every `intervalMs`, and none at all
 * for work that finishes within the first interval. Plain lines rather than a redrawn `\r` line,
 * because the main readers are CI and `docker compose run` logs, where `\r` turns into garbage;
 * every few seconds is enough to show that a big dump is moving, and cheap.
 */
export class Progress {
  readonly #report: (line: string) => void;
  readonly #verb: string;
  readonly #intervalMs: number;
  readonly #now: () => number;
  #nextAt: number;

  constructor(report: (line: string) => void, verb: string, intervalMs = 3000, now: () => number = Date.now) {
    this.#report = report;
    this.#verb = verb;
    this.#intervalMs = intervalMs;
    this.#now = now;
    this.#nextAt = now() + intervalMs;
  }

  update(bytes: number): void {
    const now = this.#now();
    if (now < this.#nextAt) return;
    this.#nextAt = now + this.#intervalMs;
    this.#report(`${this.#verb} ${formatBytes(bytes)}...`);
  }
}
