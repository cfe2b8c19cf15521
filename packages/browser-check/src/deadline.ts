import { formatDuration } from "./units.ts";

/** Why the check stopped before it finished looking: the deadline, or a limit the page broke. */
export class CheckStopped extends Error {
  override name = "CheckStopped";
}

/**
 * One deadline over the whole check. Each step runs through `step`, which gives up when the
 * deadline passes (naming what the check was waiting for) or when `stop` is called (the byte cap);
 * a Playwright call given `remaining()` as its timeout stops on its own too, and closing the
 * browser ends any call still pending. The last `reserveMs` are kept for the evidence: the
 * screenshot and the browser's close.
 */
export class Deadline {
  readonly totalMs: number;
  readonly reserveMs: number;
  readonly #endsAt: number;
  readonly #stopped: Promise<never>;
  #stop: (error: CheckStopped) => void = () => undefined;

  constructor(totalMs: number) {
    this.totalMs = totalMs;
    // A screenshot of a loaded page takes about 100 ms; closing Chromium about as much.
    this.reserveMs = Math.min(2000, Math.floor(totalMs / 5));
    this.#endsAt = performance.now() + totalMs;
    this.#stopped = new Promise<never>((_, reject) => {
      this.#stop = reject;
    });
    // No unhandled rejection when nothing is waiting at the moment of the stop.
    this.#stopped.catch(() => undefined);
  }

  /** Time left for the page's steps (the reserve excluded), at least 1 ms. */
  remaining(): number {
    return Math.max(1, Math.floor(this.#endsAt - this.reserveMs - performance.now()));
  }

  /** Time left for the evidence, the reserve included, at least 1 ms. */
  remainingWithReserve(): number {
    return Math.max(1, Math.floor(this.#endsAt - performance.now()));
  }

  /** Ends every step in progress and every later one with `reason`. */
  stop(reason: string): void {
    this.#stop(new CheckStopped(reason));
  }

  /** Runs `work` for the step `waitingFor` ("the page to answer"), within the deadline. */
  async step<T>(waitingFor: string, work: (timeoutMs: number) => Promise<T>): Promise<T> {
    const timeoutMs = this.remaining();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new CheckStopped(`the deadline of ${formatDuration(this.totalMs)} passed waiting for ${waitingFor}`)),
        timeoutMs,
      );
    });
    const running = work(timeoutMs);
    // The step's own rejection after it lost the race is of no interest (the browser closes).
    running.catch(() => undefined);
    try {
      return await Promise.race([running, late, this.#stopped]);
    } catch (error) {
      // Playwright's own timeout (the same deadline) reads as the deadline too.
      if (error instanceof Error && error.name === "TimeoutError") {
        throw new CheckStopped(`the deadline of ${formatDuration(this.totalMs)} passed waiting for ${waitingFor}`);
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}
