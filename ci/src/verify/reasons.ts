import { formatDuration } from "../state/duration.ts";

interface ErrorLike {
  code?: string;
  message?: string;
  address?: string;
  port?: number;
  hostname?: string;
  cause?: unknown;
  errors?: unknown[];
}

/** The innermost error with a code: undici, pg and ioredis wrap the socket's error differently. */
function coded(error: unknown): ErrorLike | undefined {
  const seen = new Set<unknown>();
  let current = error as ErrorLike | undefined;
  while (current && typeof current === "object" && !seen.has(current)) {
    seen.add(current);
    if (current.code && !String(current.code).startsWith("UND_ERR_SOCKET")) return current;
    const inner = current.errors?.[0] ?? current.cause;
    if (!inner) return current.code ? current : undefined;
    current = inner as ErrorLike;
  }
  return undefined;
}

/**
 * Says what a network error means, naming the host and port the operator configured:
 * "connection refused to api:4000", "host not found: redis", "timed out after 5s".
 */
export function networkReason(
  error: unknown,
  where: { host: string; port: number | string },
  timeoutMs: number,
): string {
  const found = coded(error);
  const place = `${where.host}:${where.port}`;
  switch (found?.code) {
    case "ECONNREFUSED":
      return `connection refused to ${place}`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `host not found: ${where.host} (DNS lookup failed)`;
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return `no route to ${place}`;
    case "ECONNRESET":
    case "EPIPE":
      return `connection reset by ${place}`;
    case "ETIMEDOUT":
    case "UND_ERR_CONNECT_TIMEOUT":
      return `timed out after ${formatDuration(timeoutMs)} connecting to ${place}`;
    case "UND_ERR_HEADERS_TIMEOUT":
    case "UND_ERR_BODY_TIMEOUT":
      return `timed out after ${formatDuration(timeoutMs)} waiting for an answer from ${place}`;
    default: {
      const message = found?.message || (error as ErrorLike | undefined)?.message || String(error);
      if (/closed|other side/i.test(message)) return `${place} closed the connection without answering`;
      return `${message} (${place})`;
    }
  }
}
