import { z } from "zod";
import { DEFAULT_JOBS_STREAM } from "./jobs.ts";

/**
 * Configuration from the environment, validated with zod at start-up. A bad or missing variable
 * stops the service with one line per problem that names the variable and says what to do;
 * values are never quoted, because they may be secrets.
 */

export interface ConfigProblem {
  variable: string;
  message: string;
}

export class ConfigError extends Error {
  override name = "ConfigError";
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    super(problems.map((problem) => `${problem.variable}: ${problem.message}`).join("; "));
    this.problems = problems;
  }
}

/** Names whose values are secrets (same rule as lh-ci's redactor). */
const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|PRIVATE_KEY|CREDENTIALS?)$|_KEY$/i;
const URL_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:([^\s@/]+)@/gi;

/** The secret values of an environment: secret-named variables and passwords inside URLs. */
export function secretValues(env: Record<string, string | undefined>): string[] {
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if (SECRET_NAME.test(name)) secrets.push(value);
    for (const match of value.matchAll(URL_PASSWORD)) {
      const password = match[1] ?? "";
      secrets.push(password);
      try {
        secrets.push(decodeURIComponent(password));
      } catch {
        // not URL-encoded: the raw form is registered already
      }
    }
  }
  return secrets;
}

/** Parses the environment with a zod object schema; empty strings count as unset. */
export function parseConfig<Schema extends z.ZodObject>(
  schema: Schema,
  env: Record<string, string | undefined>,
): z.infer<Schema> {
  const values = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  const parsed = schema.safeParse(values);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? "config"), message: issue.message })),
  );
}

// Building blocks for the services' schemas; every message says what is wrong and what to do.

export const required = (hint: string) =>
  z
    .string({ error: `is not set; ${hint}` })
    .trim()
    .min(1, `is empty; ${hint}`);

export const optional = () => z.string().trim().optional();

export const port = (fallback: number) =>
  z.coerce
    .number({ error: `is not a number; set it to a TCP port (default ${fallback})` })
    .int({ error: `is not a whole number; set it to a TCP port (default ${fallback})` })
    .min(0, { error: "is out of range; use a port between 0 and 65535" })
    .max(65535, { error: "is out of range; use a port between 0 and 65535" })
    .default(fallback);

export const milliseconds = (fallback: number) =>
  z.coerce
    .number({ error: `is not a number; set it to a duration in milliseconds (default ${fallback})` })
    .int({ error: "is not a whole number of milliseconds" })
    .positive({ error: "must be greater than 0 (milliseconds)" })
    .default(fallback);

function urlWith(protocols: string[], value: string): boolean {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

export const postgresUrl = () =>
  required("set it to a postgresql:// URL naming user, password, host, port and database").refine(
    (value) => urlWith(["postgres:", "postgresql:"], value),
    { error: "is not a postgres:// or postgresql:// URL; set it to the database connection string" },
  );

const httpUrlString = () =>
  z
    .string()
    .trim()
    .refine((value) => urlWith(["http:", "https:"], value), {
      error: "is not an http:// or https:// URL; set it to a base URL such as http://api:4000",
    });

export const httpUrl = (fallback: string) => httpUrlString().default(fallback);

export const optionalHttpUrl = () => httpUrlString().optional();

export const hostName = () =>
  required("set it to a host name (e.g. redis), without scheme or port").refine(
    (value) => /^[A-Za-z0-9.\-_:[\]]+$/.test(value),
    { error: "is not a host name; set it to a host name (e.g. redis), without scheme or port" },
  );

export const logLevel = () =>
  z.enum(["debug", "info", "warn", "error"], { error: "must be one of debug, info, warn, error" }).default("info");

/** The variables of a service that uses PostgreSQL and the job stream on Redis (api, worker). */
export const dataStoreVariables = () => ({
  DATABASE_URL: postgresUrl(),
  REDIS_HOST: hostName(),
  REDIS_PORT: port(6379),
  REDIS_PASSWORD: optional(),
  /** Redis stream the api enqueues jobs on and the worker consumes. */
  JOBS_STREAM: z.string().trim().min(1).default(DEFAULT_JOBS_STREAM),
});
