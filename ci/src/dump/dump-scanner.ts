import { isUtf8 } from "node:buffer";
import { Transform, type TransformCallback } from "node:stream";
import type { RowCounts } from "../backup/database-facts.ts";
import { countNewlines } from "./newline-count.ts";
import { type CheckedStatement, checkStatement, type DataStatement, StatementRefused } from "./statement-policy.ts";
import { MAX_STATEMENT_CHARS, SplitRefusal, StatementSplitter } from "./statement-splitter.ts";

const NEWLINE = 0x0a;
const RESTRICT = /^\\restrict ([A-Za-z0-9]+)\r?\n?$/;
const UNRESTRICT = /^\\unrestrict ([A-Za-z0-9]+)\r?\n?$/;

/** Thrown when a dump holds something other than data and definitions. */
export class DumpRefused extends Error {
  override name = "DumpRefused";
}

/** A statement that loaded rows, with the rows it loaded (for COPY: its data lines, when counted). */
export interface LoadedData extends DataStatement {
  rows: number;
}

/** A checked statement, exactly as it must run, with what the restore must know of it. */
export interface CheckedPiece {
  statement: string;
  checked: CheckedStatement;
  /** Where it starts in the dump ("line 12"), for messages. */
  where: string;
}

/** The end of a COPY block's data (its `\.` line, which is not passed on). */
export const COPY_END: unique symbol = Symbol("end of COPY data");

/** What the scanner passes on: checked statements, COPY data (bytes), and the end of each COPY's data. */
export type DumpPiece = CheckedPiece | Buffer | typeof COPY_END;

/**
 * Control characters other than tab, newline and carriage return: pg_dump writes none outside COPY
 * data (COPY escapes them), and a NUL is where C string handling (the parser's) and others part ways.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is its purpose
const CONTROL_CHARACTER = /[\u0000-\u0008\u000b-\u000c\u000e-\u001f\u007f]/;

/**
 * One pass over a plain pg_dump: counts the data lines of every `COPY ... FROM stdin;` block and
 * checks every statement outside them (statement-policy), passing on only what was checked.
 * Used by backup (the row counts of the sidecar come from the dump itself, so they are exact and
 * cost no second scan, and what restore would refuse fails the backup) and by restore (nothing
 * reaches the server before it is checked).
 *
 * COPY data is handled as psql does: after a line ending in `COPY ... FROM stdin;`, every line is
 * data until a line that is exactly `\.`.
 */
export class DumpScanner {
  readonly #splitter = new StatementSplitter();
  readonly #data: LoadedData[] = [];
  #carry: Buffer | undefined;
  #line = 0;
  #copy: LoadedData | undefined;
  #restrictKey: string | undefined;
  #ended = false;
  #statements = 0;
  /** Inside COPY data, the current line's start was already passed on (so it is not `\\.`). */
  #midLine = false;
  #refusal: DumpRefused | undefined;
  /** Between pg_dump's BEGIN and COMMIT around large-object data. */
  #inLargeObjects = false;
  /** Sequences the dump created (sequenceKey): the only ones its setval calls may move. */
  readonly #sequences = new Set<string>();
  /** Restore counts rows from the server's reports instead (cheaper): COPY data is then not split into lines. */
  readonly #countRows: boolean;
  /** When lines inside COPY data were not counted: the table after whose data `#line` restarted. */
  #lineOrigin: string | undefined;

  constructor(options: { countRows?: boolean } = {}) {
    this.#countRows = options.countRows ?? true;
  }

  #where(offset = 0): string {
    const line = this.#line + offset;
    return this.#lineOrigin ? `line ${line} after the COPY data of ${this.#lineOrigin}` : `line ${line}`;
  }

  /**
   * Scans bytes without passing them on (backup: the dump goes to the file as it is); `look` sees
   * the pieces (the chunk's bytes: copy what is kept). A refusal is kept for `finish`, so that a
   * truncated dump is reported as truncated first.
   */
  observe(chunk: Buffer, look: DumpPieceSink = IGNORE): void {
    if (this.#refusal) return;
    try {
      this.#scan(chunk, look);
    } catch (error) {
      if (!(error instanceof DumpRefused)) throw error;
      this.#refusal = error;
    }
  }

  /** A stream that passes the bytes on unchanged while scanning them (as `observe`). */
  observer(look: DumpPieceSink = IGNORE): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) => {
        try {
          this.observe(chunk, look);
          callback(null, chunk);
        } catch (error) {
          callback(error as Error);
        }
      },
    });
  }

  /**
   * A stream of the dump's pieces (DumpPiece), only what was checked (restore: the server is sent
   * nothing else), holding up to `readAheadPieces` that its reader has not taken yet.
   */
  filter(readAheadPieces = 16): Transform {
    const stream: Transform = new Transform({
      readableObjectMode: true,
      readableHighWaterMark: readAheadPieces,
      transform: (chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) => {
        try {
          this.#scan(chunk, (piece) => stream.push(piece));
          callback();
        } catch (error) {
          callback(error as Error);
        }
      },
    });
    return stream;
  }

  /** Statements that loaded rows, in order, each with its row count. */
  get data(): readonly LoadedData[] {
    return this.#data;
  }

  /** Rows per table (`schema.table`), summed over its COPY blocks and INSERTs. */
  rowCounts(): RowCounts {
    const counts: RowCounts = {};
    for (const { table, rows } of this.#data) counts[table] = (counts[table] ?? 0) + rows;
    return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Call once the input has ended: throws DumpRefused when the dump stops in the middle of something. */
  finish(): void {
    if (this.#refusal) throw this.#refusal;
    if (this.#carry && this.#carry.length > 0) {
      this.#scan(Buffer.from("\n"), IGNORE); // a last line without its newline
    }
    if (this.#copy) throw new DumpRefused(`it ends inside the COPY data of ${this.#copy.table}`);
    if (this.#inLargeObjects)
      throw new DumpRefused(
        "it ends after a BEGIN without its COMMIT (transaction control passes only around pg_dump's large-object data)",
      );
    const unfinished = this.#splitter.unfinished();
    if (unfinished) throw new DumpRefused(unfinished);
    if (this.#restrictKey !== undefined && !this.#ended) {
      throw new DumpRefused("pg_dump's closing \\unrestrict line is missing (the dump is truncated)");
    }
  }

  #scan(chunk: Buffer, forward: Forward): void {
    let start = 0;
    if (this.#carry) {
      // Complete the carried line with the head of this chunk: the chunk itself is never copied.
      const newline = chunk.indexOf(NEWLINE);
      if (newline < 0) {
        if (this.#copy && this.#carry.length + chunk.length >= 4) {
          forward(this.#carry);
          forward(chunk);
          this.#carry = undefined;
          this.#midLine = true;
          return;
        }
        this.#carry = Buffer.concat([this.#carry, chunk]);
        this.#checkCarry();
        return;
      }
      const line = Buffer.concat([this.#carry, chunk.subarray(0, newline + 1)]);
      this.#carry = undefined;
      this.#lines(line, forward);
      start = newline + 1;
    }
    this.#lines(start === 0 ? chunk : chunk.subarray(start), forward);
  }

  /** Scans the complete lines of `data`; what follows the last newline is carried (or, in COPY data, passed on). */
  #lines(data: Buffer, forward: Forward): void {
    let position = 0;
    let copyStart = 0;
    while (position < data.length) {
      if (this.#copy && this.#countRows) {
        // Backup: every newline before the `\.` line ends one data row (COPY's text format escapes
        // newlines inside values), so rows are counted 16 bytes at a time, not line by line.
        const end = endOfCopy(data, position, this.#midLine);
        const stop = end < 0 ? data.length : end;
        const rows = countNewlines(data, position, stop);
        this.#copy.rows += rows;
        this.#line += rows;
        if (rows > 0) this.#midLine = false;
        if (end < 0) {
          if (rows > 0) position = data.lastIndexOf(NEWLINE, stop - 1) + 1;
          break;
        }
        this.#line++; // the `\.` line
        position = this.#endCopy(data, copyStart, end, forward);
        continue;
      }
      if (this.#copy && !this.#countRows) {
        // Restore: the server reports each COPY's rows; only the end of the data is looked for, natively.
        const end = endOfCopy(data, position, this.#midLine);
        if (end < 0) break;
        position = this.#endCopy(data, copyStart, end, forward);
        this.#line = 0;
        this.#lineOrigin = this.#data.at(-1)?.table;
        continue;
      }
      // Outside COPY data (both branches above handle all of it): one SQL line at a time.
      const newline = data.indexOf(NEWLINE, position);
      if (newline < 0) break;
      this.#line++;
      const line = data.subarray(position, newline + 1);
      if (!isUtf8(line)) throw new DumpRefused(`${this.#where()}: bytes that are not UTF-8 outside COPY data`);
      this.#sqlLine(line.toString("utf8"), forward);
      if (this.#copy) copyStart = newline + 1;
      position = newline + 1;
    }
    if (this.#copy) {
      let lineStart = position;
      if (!this.#countRows) {
        const last = data.lastIndexOf(NEWLINE);
        if (last >= position) {
          lineStart = last + 1;
          this.#midLine = false;
        }
      }
      // A long data line (a big value) passes on at once; only a short line start could still be `\.`.
      const partial = data.length - lineStart;
      if (this.#midLine || partial >= 4) {
        if (copyStart < data.length) forward(data.subarray(copyStart));
        this.#midLine = partial > 0;
        return;
      }
      if (copyStart < lineStart) forward(data.subarray(copyStart, lineStart));
      position = lineStart;
    }
    if (position < data.length) {
      this.#carry = Buffer.from(data.subarray(position));
      this.#checkCarry();
    }
  }

  /** Passes on the COPY data up to its `\.` line (starting at `end`), then its end; returns where SQL resumes. */
  #endCopy(data: Buffer, copyStart: number, end: number, forward: Forward): number {
    const after = data.indexOf(NEWLINE, end) + 1;
    if (end > copyStart) forward(data.subarray(copyStart, end));
    forward(COPY_END);
    if (this.#copy) this.#data.push(this.#copy);
    this.#copy = undefined;
    this.#midLine = false;
    return after;
  }

  #checkCarry(): void {
    if (!this.#copy && this.#carry && this.#carry.length > MAX_STATEMENT_CHARS) {
      throw new DumpRefused(
        `${this.#where(1)}: a line longer than ${MAX_STATEMENT_CHARS / 1024 / 1024} MiB outside COPY data`,
      );
    }
  }

  #sqlLine(line: string, forward: Forward): void {
    const control = CONTROL_CHARACTER.exec(line);
    if (control) {
      const code = control[0].charCodeAt(0).toString(16).padStart(2, "0");
      throw new DumpRefused(`${this.#where()}: a control character (0x${code}) outside COPY data`);
    }
    if (this.#splitter.idle && line.startsWith("\\")) {
      this.#frameLine(line);
      return;
    }
    if (this.#ended && line.trim() !== "" && !line.startsWith("--")) {
      throw new DumpRefused(`${this.#where()}: content after pg_dump's closing \\unrestrict line`);
    }
    let split: ReturnType<StatementSplitter["feedLine"]>;
    try {
      split = this.#splitter.feedLine(line, this.#where());
    } catch (error) {
      if (error instanceof SplitRefusal) throw new DumpRefused(error.message);
      throw error;
    }
    split.statements.forEach(({ text, where }, index) => {
      let checked: CheckedStatement;
      try {
        checked = checkStatement(text);
      } catch (error) {
        if (!(error instanceof StatementRefused)) throw error;
        throw new DumpRefused(`${where}: ${excerpt(text)}: ${error.message}`);
      }
      this.#checkLargeObjects(checked, text, where);
      for (const sequence of checked.createsSequences ?? []) this.#sequences.add(sequence);
      if (checked.setval !== undefined && !this.#sequences.has(checked.setval)) {
        throw new DumpRefused(
          `${where}: ${excerpt(text)}: setval of a sequence the dump did not create (setval is not rolled back with the restore)`,
        );
      }
      this.#statements++;
      forward({ statement: text, checked, where });
      const loads: DataStatement | undefined = checked.data;
      if (loads?.kind === "insert") this.#data.push({ ...loads, rows: loads.rows ?? 0 });
      if (loads?.kind === "copy") {
        // The data starts on the next line: nothing may follow the COPY on its line.
        if (index !== split.statements.length - 1 || split.trailing.trim() !== "") {
          throw new DumpRefused(`${this.#where()}: something follows COPY ... FROM stdin on its line`);
        }
        this.#copy = { ...loads, rows: 0 };
      }
    });
  }

  /**
   * pg_dump's large-object block: `BEGIN;`, then only lo_open / lowrite / lo_close, then `COMMIT;`.
   * Anything else of transaction control, or those calls outside the block, is refused.
   */
  #checkLargeObjects(checked: CheckedStatement, text: string, where: string): void {
    const part = checked.largeObjects;
    const inBlock = this.#inLargeObjects;
    const fits = inBlock ? part === "data" || part === "commit" : part === undefined || part === "begin";
    if (!fits) {
      throw new DumpRefused(
        `${where}: ${excerpt(text)}: transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT...) would break the restore's single transaction; only pg_dump's BEGIN and COMMIT around large-object data (lo_open, lowrite, lo_close) pass`,
      );
    }
    if (part === "begin") this.#inLargeObjects = true;
    if (part === "commit") this.#inLargeObjects = false;
  }

  /** pg_dump's own `\restrict KEY` (before any statement) and `\unrestrict KEY` (at the end): the only backslash lines allowed. */
  #frameLine(line: string): void {
    const restrict = RESTRICT.exec(line);
    if (restrict && this.#restrictKey === undefined && this.#statements === 0) {
      this.#restrictKey = restrict[1];
      return;
    }
    const unrestrict = UNRESTRICT.exec(line);
    if (unrestrict && this.#restrictKey !== undefined && unrestrict[1] === this.#restrictKey && !this.#ended) {
      this.#ended = true;
      return;
    }
    const command = line.match(/^\\\S*/)?.[0] ?? "\\";
    throw new DumpRefused(
      `${this.#where()}: a psql meta-command (${command}) outside COPY data; only pg_dump's \\restrict at the start and its matching \\unrestrict at the end are allowed`,
    );
  }
}

/** Where the scanner passes its pieces, in the dump's order. */
export type DumpPieceSink = (piece: DumpPiece) => void;
type Forward = DumpPieceSink;
const IGNORE: Forward = () => undefined;

const END_MARK = Buffer.from("\\.");

/**
 * Where the `\.` line that ends COPY data starts, searching from `from` (a line start unless
 * `midLine`), or -1 when this buffer holds no complete one. The search is for `\.` itself, rare
 * in COPY data (a backslash is the start of an escape there), each one then checked for a line
 * start: searching for the newline before it stopped at every row (about 60 ms a backup at scale 20).
 */
function endOfCopy(data: Buffer, from: number, midLine: boolean): number {
  for (let at = data.indexOf(END_MARK, from); at >= 0; at = data.indexOf(END_MARK, at + 1)) {
    const lineStart = at === from ? !midLine : data[at - 1] === NEWLINE;
    if (!lineStart) continue;
    const newline = data.indexOf(NEWLINE, at);
    if (newline < 0) return -1;
    if (isEndOfCopy(data, at, newline)) return at;
  }
  return -1;
}

/** `\.` alone on its line (psql also takes `\.\r`): the end of a COPY block. */
function isEndOfCopy(data: Buffer, start: number, newline: number): boolean {
  const length = newline - start;
  return data[start + 1] === 0x2e && (length === 2 || (length === 3 && data[start + 2] === 0x0d));
}

function excerpt(sql: string): string {
  const text = sql.replace(/\s+/g, " ").trim();
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}
