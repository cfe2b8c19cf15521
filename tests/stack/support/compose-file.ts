import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { COMPOSE_FILE } from "./paths.ts";

/** The parts of a compose service that the invariant tests look at. */
export interface ComposeService {
  image?: string;
  command?: string | string[];
  profiles?: string[];
  restart?: string;
  ports?: (string | { host_ip?: string; published?: string | number; target?: number })[];
  expose?: unknown[];
  environment?: Record<string, string | number | boolean | null> | string[];
  env_file?: unknown;
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  configs?: (string | { source: string; target?: string })[];
  secrets?: (string | { source: string })[];
  networks?: string[] | Record<string, unknown>;
  logging?: { driver?: string; options?: Record<string, string> };
  deploy?: { resources?: { limits?: { cpus?: string; memory?: string } } };
  read_only?: boolean;
  tmpfs?: string[];
  cap_drop?: string[];
  security_opt?: string[];
}

export interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  networks?: Record<string, { internal?: boolean } | null>;
  volumes?: Record<string, unknown>;
  configs?: Record<string, { file?: string }>;
  secrets?: Record<string, { file?: string; environment?: string }>;
}

export function readComposeText(): string {
  return readFileSync(COMPOSE_FILE, "utf8");
}

/** The compose file as compose sees it before interpolation (aliases resolved). */
export function loadCompose(text = readComposeText()): ComposeFile {
  return parse(text, { merge: true }) as ComposeFile;
}

/** A variable's name after `${` or `$` (nested ones included); `$$` is an escaped dollar. */
const VARIABLE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * Compose's interpolation (https://docs.docker.com/reference/compose-file/interpolation/):
 * ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $VAR and $$, with
 * variables nested in a default (`${API_IMAGE:-${IMAGE_PREFIX:-lawyers-hub}/api:...}`), which
 * is expanded only when used. Throws like compose does when a required variable is missing.
 */
export function interpolate(value: string, env: Record<string, string | undefined>): string {
  let out = "";
  let i = 0;
  while (i < value.length) {
    const next = value[i + 1];
    if (value[i] !== "$") {
      out += value[i];
      i += 1;
    } else if (next === "$") {
      out += "$";
      i += 2;
    } else if (next === "{") {
      const end = closingBrace(value, i + 2);
      out += expand(value.slice(i + 2, end), env);
      i = end + 1;
    } else {
      const bare = /^[A-Za-z_][A-Za-z0-9_]*/.exec(value.slice(i + 1))?.[0];
      out += bare ? (env[bare] ?? "") : "$";
      i += 1 + (bare?.length ?? 0);
    }
  }
  return out;
}

function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let j = from; j < text.length; j++) {
    if (text[j] === "{") depth += 1;
    if (text[j] === "}" && --depth === 0) return j;
  }
  throw new Error(`unclosed \${ in ${text}`);
}

/** One `${...}`: its name, operator and (lazily expanded) argument. */
function expand(body: string, env: Record<string, string | undefined>): string {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([\s\S]*))?$/.exec(body);
  if (!match) throw new Error(`invalid interpolation \${${body}}`);
  const [, name = "", operator, argument = ""] = match;
  const current = env[name];
  const unsetOrEmpty = current === undefined || current === "";
  const missing = () => new Error(`required variable ${name} is missing a value: ${interpolate(argument, env)}`);
  switch (operator) {
    case ":-":
      return unsetOrEmpty ? interpolate(argument, env) : (current as string);
    case "-":
      return current === undefined ? interpolate(argument, env) : current;
    case ":?":
      if (unsetOrEmpty) throw missing();
      return current as string;
    case "?":
      if (current === undefined) throw missing();
      return current;
    default:
      return current ?? "";
  }
}

/** Names of the variables a piece of compose text refers to (not counting $$-escaped ones). */
export function variablesIn(text: string): Set<string> {
  const names = new Set<string>();
  for (const match of text.matchAll(VARIABLE)) {
    const name = match[1] ?? match[2];
    if (name) names.add(name);
  }
  return names;
}

/** A service's environment as a map, whichever of the two compose syntaxes it uses. */
export function environmentOf(service: ComposeService): Record<string, string> {
  const env = service.environment;
  if (!env) return {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const [name = "", ...rest] = entry.split("=");
        return [name, rest.join("=")];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, value === null ? "" : String(value)]));
}

/** The services that `docker compose up` runs and keeps running (no profile, not a one-shot). */
export function longRunningServices(compose: ComposeFile): string[] {
  return Object.entries(compose.services)
    .filter(([, service]) => !service.profiles?.length && service.restart !== "no")
    .map(([name]) => name);
}

export function dependenciesOf(service: ComposeService): Record<string, string> {
  const deps = service.depends_on;
  if (!deps) return {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((name) => [name, "service_started"]));
  return Object.fromEntries(
    Object.entries(deps).map(([name, dep]) => [name, dep.condition ?? "service_started"] as const),
  );
}
