import { type DestinationStream, type Level, type Logger, pino } from "pino";

/**
 * Structured logs with pino: one JSON object per line on stdout, which the container engine
 * collects. Every line passes through the secret values of the environment before it is written,
 * so that no secret reaches a log even inside an error message (pino's own `redact` works on field
 * paths, not on values that turn up anywhere in a line).
 */

export type { Logger as JsonLogger } from "pino";

const REDACTED = "***";
/** Shorter values are not redacted: replacing "1" would garble every number in the logs. */
const MIN_SECRET_LENGTH = 4;

export interface JsonLoggerOptions {
  service: string;
  level?: Level;
  /** Values replaced by *** wherever they appear in a line (see secretValues). */
  secrets?: string[];
  /** Where lines go (stdout by default); tests pass their own stream. */
  destination?: DestinationStream;
}

export function createJsonLogger(options: JsonLoggerOptions): Logger {
  const redact = redactor(options.secrets ?? []);
  return pino(
    {
      level: options.level ?? "info",
      base: { service: options.service },
      messageKey: "msg",
      errorKey: "error",
      timestamp: pino.stdTimeFunctions.isoTime,
      // "level":"info" rather than pino's numbers: readable, and what the alert queries match.
      formatters: { level: (label) => ({ level: label }) },
      hooks: { streamWrite: redact },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** Replaces each secret (and its URL-encoded and JSON-escaped forms) by ***, longest first. */
export function redactor(secrets: string[]): (line: string) => string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    for (const form of [secret, encodeURIComponent(secret)]) forms.add(JSON.stringify(form).slice(1, -1));
  }
  const ordered = [...forms].sort((a, b) => b.length - a.length);
  return (line) => {
    let result = line;
    for (const form of ordered) result = result.split(form).join(REDACTED);
    return result;
  };
}

export function errorMessage(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.map((inner) => errorMessage(inner)).join("; ");
  }
  return error instanceof Error ? error.message || error.name : String(error);
}
