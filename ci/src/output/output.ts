import type { Writable } from "node:stream";
import { escapeControl } from "./escape-control.ts";
import { Redactor } from "./redact.ts";

/**
 * Where a command writes: results on stdout, progress, warnings and errors on stderr.
 * Everything passes through the redactor first, then control characters other than line breaks
 * are escaped: no text from outside (a server, a sidecar, a table name) can drive the terminal.
 */
export class Output {
  readonly redactor: Redactor;
  readonly #stdout: Writable;
  readonly #stderr: Writable;

  constructor(stdout: Writable = process.stdout, stderr: Writable = process.stderr, redactor = new Redactor()) {
    this.#stdout = stdout;
    this.#stderr = stderr;
    this.redactor = redactor;
  }

  #clean(line: string): string {
    return escapeControl(this.redactor.redact(line), { keepLineBreaks: true });
  }

  /** A result line (stdout). */
  result(line: string): void {
    this.#stdout.write(`${this.#clean(line)}\n`);
  }

  /** What the command is doing or did (stderr, so stdout stays machine-readable). */
  info(line: string): void {
    this.#stderr.write(`${this.#clean(line)}\n`);
  }

  warn(line: string): void {
    this.#stderr.write(`warning: ${this.#clean(line)}\n`);
  }

  error(line: string): void {
    this.#stderr.write(`error: ${this.#clean(line)}\n`);
  }

  /** Raw bytes to stdout, not redacted: for streamed payloads such as a dump (`backup --stdout`). */
  get rawStdout(): Writable {
    return this.#stdout;
  }
}
