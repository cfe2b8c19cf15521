/**
 * The ops session's wire format (`lh-ci session`): one JSON object per line each way. The host
 * sends `{"args": [...]}` (an lh-ci command line); the session answers with `{"err": "..."}` for
 * each progress line the command prints, then `{"code": N, "stdout": "..."}` when it ends.
 * Both sides bound what they read: a line longer than the limit is an error, never buffered on.
 */

/** A request is an lh-ci command line; nothing in a deploy's requests comes near this. */
export const MAX_REQUEST_BYTES = 64 * 1024;
/** A command's stdout as the session returns it (the ledger as JSON is the largest). */
export const MAX_STDOUT_BYTES = 8 * 1024 * 1024;
/** An answer line: the stdout above, JSON-escaped, with room to spare. */
export const MAX_ANSWER_BYTES = 2 * MAX_STDOUT_BYTES + 1024;

export type SessionAnswer = { err: string } | { code: number; stdout: string };

export class ProtocolError extends Error {
  override name = "ProtocolError";
}

/**
 * `echo` quotes the start of a bad line in the error. A request line is never quoted: it is a
 * command line, which may carry a secret, and the error goes back over the session's stdout.
 */
function parseObject(line: string, what: string, echo: boolean): Record<string, unknown> {
  const quoted = echo ? `: ${line.slice(0, 80)}` : ` (${Buffer.byteLength(line)} bytes, not shown)`;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ProtocolError(`${what} is not JSON${quoted}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ProtocolError(`${what} is not a JSON object${quoted}`);
  }
  return value as Record<string, unknown>;
}

/** The arguments of one request line. */
export function parseRequest(line: string): string[] {
  const { args } = parseObject(line, "session request", false);
  if (!Array.isArray(args) || args.length === 0 || !args.every((arg) => typeof arg === "string")) {
    throw new ProtocolError('session request needs "args": a non-empty array of strings');
  }
  return args;
}

export function encodeRequest(args: readonly string[]): string {
  return `${JSON.stringify({ args })}\n`;
}

/** One answer line from the session. */
export function parseAnswer(line: string): SessionAnswer {
  const answer = parseObject(line, "session answer", true);
  if (typeof answer.err === "string") return { err: answer.err };
  if (Number.isInteger(answer.code) && typeof answer.stdout === "string") {
    return { code: answer.code as number, stdout: answer.stdout };
  }
  throw new ProtocolError(`session answer has neither "err" nor "code" and "stdout": ${line.slice(0, 80)}`);
}

export function encodeAnswer(answer: SessionAnswer): string {
  return `${JSON.stringify(answer)}\n`;
}

/**
 * Splits a byte stream into lines, refusing a line longer than `limit` bytes (a stream that never
 * sends a newline cannot make us buffer without end).
 */
export class BoundedLines {
  #pending = "";
  readonly #limit: number;
  readonly #what: string;

  constructor(limit: number, what: string) {
    this.#limit = limit;
    this.#what = what;
  }

  /** The complete lines in `text` (with what was pending before it). */
  push(text: string): string[] {
    const lines = (this.#pending + text).split("\n");
    this.#pending = lines.pop() ?? "";
    if (this.#pending.length > this.#limit || lines.some((line) => line.length > this.#limit)) {
      throw new ProtocolError(`${this.#what}: a line is longer than ${this.#limit} bytes`);
    }
    return lines.filter((line) => line !== "");
  }

  /** Text left without a newline when the stream ended. */
  get rest(): string {
    return this.#pending;
  }
}
