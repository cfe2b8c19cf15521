import { fdatasync } from "node:fs";

/** Small enough that the final fsync has little left (it is on the critical path), large enough to cost nothing. */
const FLUSH_EVERY_BYTES = 8 * 1024 * 1024;

/**
 * Flushes a file to disk in the background while another process (pg_dump) is still writing it,
 * so that the fsync due after its last byte finds only the last few MB unwritten: a backup is
 * durable before it gets its name, and it no longer waits at the end for the whole dump to reach
 * the disk. One flush at a time; a failed one is kept and thrown by `settle` (Linux reports a
 * write-back error once, so the final fsync alone might not see it).
 */
export class FlushBehind {
  readonly #fd: number;
  #flushing: Promise<void> | undefined;
  #flushedUpTo = 0;
  #failure: Error | undefined;

  constructor(fd: number) {
    this.#fd = fd;
  }

  /** The file holds at least `bytes` bytes now: start a flush when enough came since the last one. */
  written(bytes: number): void {
    if (this.#flushing || this.#failure || bytes - this.#flushedUpTo < FLUSH_EVERY_BYTES) return;
    this.#flushedUpTo = bytes;
    this.#flushing = new Promise((resolve) => {
      fdatasync(this.#fd, (error) => {
        if (error) this.#failure ??= error;
        this.#flushing = undefined;
        resolve();
      });
    });
  }

  /** Waits for the flush in progress (the file may not be closed under it); throws a failed flush's error. */
  async settle(): Promise<void> {
    await this.#flushing;
    if (this.#failure) throw this.#failure;
  }
}
