import { closeSync, fstatSync, fsyncSync, openSync, readFileSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";
import { ensureStateDir } from "../state/state-dir.ts";
import { type Release, releaseSchema } from "./release.ts";

/** A ledger line that could not be read, e.g. the last line of a write cut short by a crash. */
export interface SkippedLine {
  line: number;
  reason: string;
}

export interface LedgerContents {
  releases: Release[];
  skipped: SkippedLine[];
}

/**
 * The release ledger of one environment: `releases.jsonl` in the state directory, one JSON object
 * per line, append-only. Each entry is one write(2) on an O_APPEND descriptor followed by fsync, so
 * concurrent writers never interleave and a crash can only cut the entry being written; the
 * reader skips (and reports) such a line, so earlier entries stay readable.
 */
export class ReleaseLedger {
  readonly dir: string;
  readonly path: string;

  constructor(dir: string) {
    this.dir = dir;
    this.path = join(dir, "releases.jsonl");
  }

  append(release: Release): void {
    const entry = `${JSON.stringify(releaseSchema.parse(release))}\n`;
    ensureStateDir(this.dir);
    const fd = openSync(this.path, "a+", 0o644);
    try {
      // After a crash the file may end mid-line: start on a fresh line so this entry stays whole.
      const line = endsWithNewline(fd) ? entry : `\n${entry}`;
      writeSync(fd, line);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  read(): LedgerContents {
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { releases: [], skipped: [] };
      throw error;
    }
    const releases: Release[] = [];
    const skipped: SkippedLine[] = [];
    text.split("\n").forEach((raw, index) => {
      if (raw.trim() === "") return;
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        skipped.push({ line: index + 1, reason: "not a complete JSON entry (a write cut short?)" });
        return;
      }
      const parsed = releaseSchema.safeParse(value);
      if (parsed.success) releases.push(parsed.data);
      else skipped.push({ line: index + 1, reason: `not a release entry (${parsed.error.issues[0]?.message})` });
    });
    return { releases, skipped };
  }
}

function endsWithNewline(fd: number): boolean {
  const { size } = fstatSync(fd);
  if (size === 0) return true;
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  return last[0] === 0x0a;
}
