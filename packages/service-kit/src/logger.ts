/**
 * Structured logs: one JSON object per line on stdout, which the container engine collects.
 * Every line passes through the secret values registered at start-up, so that no secret can
 * reach a log even inside an error message.
 */

export type LogLevel = "debug" | "info" | "warn" | "error" | "fatal";

const SEVERITY: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, fatal: 50 };
const REDACTED = "***";
/** Shorter values are not redacted: replacing "1" would garble every number in the logs. */
const MIN_SECRET_LENGTH = 4;

export type LogFields = Record<string, unknown>;

export interface LoggerOptions {
  service: string;
  level?: LogLevel;
  /** Where lines go (stdout by default); tests pass their own sink. */
  write?: (line: string) => void;
}

export class Logger {
  readonly service: string;
  readonly #level: number;
  readonly #write: (line: string) => void;
  readonly #secrets: Set<string>;

  constructor(options: LoggerOptions, secrets = new Set<string>()) {
    this.service = options.service;
    this.#level = SEVERITY[options.level ?? "info"];
    this.#write = options.write ?? ((line) => process.stdout.write(line));
    this.#secrets = secrets;
  }

  /** The same logger (same secrets and sink) at another level: the level is known only once config is loaded. */
  withLevel(level: LogLevel): Logger {
    return new Logger({ service: this.service, level, write: this.#write }, this.#secrets);
  }

  /** Registers a secret value: it is replaced by *** wherever it appears in a line. */
  addSecret(value: string | undefined): void {
    if (!value || value.length < MIN_SECRET_LENGTH) return;
    this.#secrets.add(value);
    this.#secrets.add(encodeURIComponent(value));
  }

  debug(msg: string, fields?: LogFields): void {
    this.log("debug", msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.log("info", msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.log("warn", msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.log("error", msg, fields);
  }
  fatal(msg: string, fields?: LogFields): void {
    this.log("fatal", msg, fields);
  }

  log(level: LogLevel, msg: string, fields: LogFields = {}): void {
    if (SEVERITY[level] < this.#level) return;
    const entry = { time: new Date().toISOString(), level, service: this.service, msg, ...serializeFields(fields) };
    this.#write(`${this.#redact(JSON.stringify(entry))}\n`);
  }

  #redact(line: string): string {
    let result = line;
    // Longest first, so that a secret containing another is replaced whole.
    for (const secret of [...this.#secrets].sort((a, b) => b.length - a.length)) {
      result = result.split(JSON.stringify(secret).slice(1, -1)).join(REDACTED);
    }
    return result;
  }
}

/** Errors serialize to nothing with JSON.stringify; give them their message and code. */
function serializeFields(fields: LogFields): LogFields {
  const result: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    result[key] = value instanceof Error ? describeError(value) : value;
  }
  return result;
}

export function describeError(error: Error): { name: string; message: string; code?: unknown } {
  const code = (error as { code?: unknown }).code;
  return code === undefined
    ? { name: error.name, message: error.message }
    : { name: error.name, message: error.message, code };
}

export function errorMessage(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.map((inner) => errorMessage(inner)).join("; ");
  }
  return error instanceof Error ? error.message || error.name : String(error);
}
