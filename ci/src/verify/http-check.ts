import { type Dispatcher, request } from "undici";
import { BodyProblem, readBoundedBody } from "../http/bounded-body.ts";
import { escapeControl } from "../output/escape-control.ts";
import type { Check } from "./check.ts";
import { CheckFailure } from "./check.ts";
import { networkReason } from "./reasons.ts";

const OK_WORDS = new Set(["ok", "up", "pass", "passed", "healthy", "ready", "true"]);

/** What a health body says is failing: `{"failing": ["redis"], "checks": {"redis": "..."}}` and similar shapes. */
export function failingDependencies(body: unknown): string[] {
  if (!body || typeof body !== "object") return [];
  const json = body as Record<string, unknown>;
  const checks = (json.checks ?? json.dependencies ?? json.details) as Record<string, unknown> | unknown[] | undefined;
  const describe = (name: string, value: unknown): string | undefined => {
    if (value === true) return undefined;
    if (value === false) return `${name} down`;
    if (typeof value === "string") return OK_WORDS.has(value.toLowerCase()) ? undefined : `${name} down (${value})`;
    if (value && typeof value === "object") {
      const entry = value as Record<string, unknown>;
      const status = entry.status ?? entry.ok ?? entry.healthy;
      if (status === true || (typeof status === "string" && OK_WORDS.has(status.toLowerCase()))) return undefined;
      const why = entry.error ?? entry.message;
      return `${name} ${typeof status === "string" ? status : "down"}${why ? ` (${String(why)})` : ""}`;
    }
    return undefined;
  };
  if (Array.isArray(json.failing)) {
    const named = json.failing.map(String);
    const table = checks && !Array.isArray(checks) ? checks : {};
    return named.map((name) => describe(name, table[name] ?? false) ?? `${name} down`);
  }
  if (Array.isArray(checks)) {
    return checks.flatMap((item) => {
      const entry = (item ?? {}) as Record<string, unknown>;
      const found = describe(String(entry.name ?? "?"), entry);
      return found ? [found] : [];
    });
  }
  if (checks && typeof checks === "object") {
    return Object.entries(checks).flatMap(([name, value]) => {
      const found = describe(name, value);
      return found ? [found] : [];
    });
  }
  // A service relaying another's health, e.g. the web's {"api": {"ready": false, "failing": [...]}}.
  return Object.entries(json).flatMap(([name, value]) =>
    value && typeof value === "object" && !Array.isArray(value)
      ? failingDependencies(value).map((inner) => `${name}: ${inner}`)
      : [],
  );
}

/**
 * Why a 200 whose JSON body says it is not ok is a failure: `"status": "error"`, `"ok": false`,
 * a failing dependency. Undefined when the body says nothing against it (or is not JSON).
 */
export function notOkReason(text: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) return undefined;
  const fields = json as Record<string, unknown>;
  if (typeof fields.status === "string" && !OK_WORDS.has(fields.status.toLowerCase())) {
    return `"status": ${JSON.stringify(fields.status)}`;
  }
  for (const name of ["status", "ok", "healthy", "ready", "up"]) {
    if (fields[name] === false) return `"${name}": false`;
  }
  const failing = failingDependencies(fields);
  return failing.length > 0 ? failing.join(", ") : undefined;
}

function excerpt(text: string): string {
  const flat = escapeControl(text.replace(/\s+/g, " ").trim());
  return flat.length > 200 ? `${flat.slice(0, 197)}...` : flat;
}

/** "HTTP 503 from /ready: redis down", from the status and what the body says. */
export function describeHttpFailure(status: number, path: string, text: string): string {
  let detail = excerpt(text);
  try {
    const json = JSON.parse(text) as Record<string, unknown>;
    const failing = failingDependencies(json);
    if (failing.length > 0) detail = failing.join(", ");
    else if (typeof json.error === "string" || typeof json.message === "string")
      detail = String(json.error ?? json.message);
  } catch {
    // not JSON: the excerpt says it
  }
  return `HTTP ${status} from ${path}${detail ? `: ${excerpt(detail)}` : ""}`;
}

/**
 * GET `url` must answer 200 with a body that does not say it is not ok, read whole (at most 64 KiB)
 * within the attempt's budget: the signal bounds the whole exchange, headers and body alike.
 */
export function httpCheck(name: string, url: URL, dispatcher: Dispatcher): Check {
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  const where = { host: url.hostname, port };
  return {
    name,
    target: `GET ${url.href}`,
    async attempt(signal, timeoutMs) {
      const started = performance.now();
      let response: Dispatcher.ResponseData;
      try {
        response = await request(url, {
          method: "GET",
          dispatcher,
          signal,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          headers: { accept: "application/json" },
        });
      } catch (error) {
        throw new CheckFailure(networkReason(error, where, timeoutMs));
      }
      let text: string;
      try {
        text = await readBoundedBody(response, signal);
      } catch (error) {
        if (!(error instanceof BodyProblem)) throw error;
        throw new CheckFailure(`HTTP ${response.statusCode} from ${url.pathname}, but ${error.message}`);
      }
      if (response.statusCode !== 200)
        throw new CheckFailure(describeHttpFailure(response.statusCode, url.pathname, text));
      const notOk = notOkReason(text);
      if (notOk)
        throw new CheckFailure(`HTTP 200 from ${url.pathname}, but the body says it is not ok: ${excerpt(notOk)}`);
      return `HTTP 200 from ${url.pathname} in ${Math.round(performance.now() - started)}ms`;
    },
  };
}
