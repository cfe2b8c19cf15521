import type { Readable } from "node:stream";

const DATA_TAG = /^(COPY|INSERT 0) (\d+)$/;
const LINE_LIMIT = 64 * 1024;

/** A command tag psql printed for a statement that loaded rows: `COPY 200`, `INSERT 0 3`. */
export interface DataTag {
  kind: "copy" | "insert";
  rows: number;
}

/**
 * Reads psql's stdout (unaligned, tuples only): keeps the row counts psql reports for every COPY
 * and INSERT, in order, and notices the marker lines the restore sends to know how far psql got.
 * Nothing else is kept, so memory stays bounded whatever the dump prints.
 */
export class PsqlOutput {
  readonly tags: DataTag[] = [];
  #partial = "";
  readonly #seen = new Set<string>();
  readonly #waiting = new Map<string, () => void>();
  readonly #watched: Set<string>;
  /** The last complete line psql printed. */
  last = "";
  /** The first complete line psql printed. */
  readonly firstLine: Promise<string>;
  #resolveFirstLine: ((line: string) => void) | undefined;

  constructor(stdout: Readable, watched: string[]) {
    this.firstLine = new Promise((resolve) => {
      this.#resolveFirstLine = resolve;
    });
    this.#watched = new Set(watched);
    stdout.setEncoding("utf8");
    stdout.on("data", (text: string) => this.#take(text));
  }

  #take(text: string): void {
    const lines = (this.#partial + text).split("\n");
    this.#partial = (lines.pop() ?? "").slice(0, LINE_LIMIT);
    for (const line of lines) {
      this.#resolveFirstLine?.(line);
      this.#resolveFirstLine = undefined;
      this.last = line;
      const tag = DATA_TAG.exec(line);
      if (tag) this.tags.push({ kind: tag[1] === "COPY" ? "copy" : "insert", rows: Number(tag[2]) });
      if (this.#watched.has(line)) {
        this.#seen.add(line);
        this.#waiting.get(line)?.();
      }
    }
  }

  seen(line: string): boolean {
    return this.#seen.has(line);
  }

  /** Resolves once psql printed `line` (one of the watched lines). */
  waitFor(line: string): Promise<void> {
    if (this.#seen.has(line)) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.set(line, resolve));
  }
}
