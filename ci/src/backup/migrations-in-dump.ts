import { COPY_END, type DumpPiece } from "../dump/dump-scanner.ts";
import { MigrationsUnreadable } from "./migrations-unreadable.ts";

const MIGRATIONS_TABLE = "_prisma_migrations";
const NEWLINE = 0x0a;
/** A `_prisma_migrations` row longer than this (its `logs` column) fails the backup rather than grow without bound. */
const MAX_ROW_BYTES = 16 * 1024 * 1024;

interface Reading {
  schema: string;
  name: number;
  finished: number;
  rolledBack: number;
  newest: string | null;
  carry: Buffer | undefined;
}

/**
 * The newest migration Prisma finished applying, read from the dump's own `_prisma_migrations`
 * COPY data as the dump scanner passes it on: exactly what the backup holds, with no query of its
 * own. Prisma names migrations by timestamp and applies them in that order, so the newest is the
 * greatest name among rows finished and not rolled back. With the table in several schemas,
 * `public`'s counts, else the first schema by name (as lh-ci's own query of a live database).
 * Only the scanner's COPY pieces are read: a table's data that merely looks like a COPY is data.
 */
export class NewestMigrationInDump {
  readonly #bySchema = new Map<string, string | null>();
  #reading: Reading | undefined;

  /** Give it every piece the scanner passes on, in order (DumpScanner.observe's `look`). */
  readonly look = (piece: DumpPiece): void => {
    if (piece === COPY_END) {
      const reading = this.#reading;
      if (!reading) return;
      if (reading.carry && reading.carry.length > 0) this.#row(reading, reading.carry);
      this.#bySchema.set(reading.schema, reading.newest);
      this.#reading = undefined;
      return;
    }
    if (Buffer.isBuffer(piece)) {
      if (this.#reading) this.#data(this.#reading, piece);
      return;
    }
    const copy = piece.checked.data?.copy;
    if (!copy || copy.relation !== MIGRATIONS_TABLE) return;
    this.#reading = {
      schema: copy.schema,
      name: copy.columns.indexOf("migration_name"),
      finished: copy.columns.indexOf("finished_at"),
      rolledBack: copy.columns.indexOf("rolled_back_at"),
      newest: null,
      carry: undefined,
    };
  };

  /** null when the dump has no `_prisma_migrations` table or no finished migration in it. */
  newest(): string | null {
    if (this.#bySchema.has("public")) return this.#bySchema.get("public") ?? null;
    const first = [...this.#bySchema.keys()].sort()[0];
    return first === undefined ? null : (this.#bySchema.get(first) ?? null);
  }

  #data(reading: Reading, bytes: Buffer): void {
    let start = 0;
    for (let newline = bytes.indexOf(NEWLINE); newline >= 0; newline = bytes.indexOf(NEWLINE, start)) {
      const line = bytes.subarray(start, newline);
      this.#row(reading, reading.carry ? Buffer.concat([reading.carry, line]) : line);
      reading.carry = undefined;
      start = newline + 1;
    }
    if (start < bytes.length) {
      const rest = bytes.subarray(start);
      reading.carry = reading.carry ? Buffer.concat([reading.carry, rest]) : Buffer.from(rest);
      if (reading.carry.length > MAX_ROW_BYTES) {
        throw new MigrationsUnreadable(
          `a row of ${reading.schema}.${MIGRATIONS_TABLE} is over ${MAX_ROW_BYTES / 1024 / 1024} MB`,
        );
      }
    }
  }

  #row(reading: Reading, line: Buffer): void {
    const fields = line.toString("utf8").split("\t");
    const name = fields[reading.name];
    const finished = fields[reading.finished];
    const rolledBack = fields[reading.rolledBack];
    if (name === undefined || name === "\\N" || finished === undefined || finished === "\\N") return;
    if (rolledBack !== undefined && rolledBack !== "\\N") return;
    const decoded = decodeCopyText(name);
    if (reading.newest === null || decoded > reading.newest) reading.newest = decoded;
  }
}

const SIMPLE_ESCAPES: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v" };

/** One field of COPY's text format, its backslash escapes decoded (PostgreSQL's CopyReadAttributesText). */
export function decodeCopyText(field: string): string {
  return field.replace(/\\(?:([0-7]{1,3})|x([0-9A-Fa-f]{1,2})|(.))/gs, (_match, octal, hex, other: string) => {
    if (octal !== undefined) return String.fromCharCode(Number.parseInt(octal, 8) & 0xff);
    if (hex !== undefined) return String.fromCharCode(Number.parseInt(hex, 16));
    return SIMPLE_ESCAPES[other] ?? other;
  });
}
