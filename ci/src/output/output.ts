import type { Writable } from "node:stream";
import { Redactor } from "./redact.ts";

/**
 * Where a command writes: results on stdout, progress, warnings and errors on stderr.
 * Everything passes through the redactor first.
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

  /** A result line (stdout). */
  result(line: string): void {
    this.#stdout.write(`${this.redactor.redact(line)}\n`);
  }

  /** What the command is doing or did (stderr, so stdout stays machine-readable). */
  info(line: string): void {
    this.#stderr.write(`${this.redactor.redact(line)}\n`);
  }

  warn(line: string): void {
    this.#stderr.write(`warning: ${this.redactor.redact(line)}\n`);
  }

  error(line: string): void {
    this.#stderr.write(`error: ${this.redactor.redact(line)}\n`);
  }

  /** Raw bytes to stdout, not redacted: for streamed payloads such as a dump (`backup --stdout`). */
  get rawStdout(): Writable {
    return this.#stdout;
  }
}
