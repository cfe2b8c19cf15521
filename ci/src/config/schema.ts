import { z } from "zod";
import { readDatabaseUrl } from "./database-url.ts";

/**
 * The configuration of one environment: what the services, the compose stack and verification need.
 * Every field's message says what is wrong and what to do, and never quotes the value:
 * the value may be a secret.
 */

const REDIS_HOST_HINT = "set it to the Redis host name (e.g. redis), without scheme or port";

function postgresUrlProblem(value: string): string | undefined {
  const read = readDatabaseUrl(value);
  return read.ok ? undefined : read.problem;
}

function httpUrlProblem(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol === "http:" || url.protocol === "https:") return undefined;
  } catch {
    // fall through
  }
  return "is not an http:// or https:// URL; set it to the base URL, e.g. http://api:4000";
}

const required = (hint: string) =>
  z
    .string({ error: `is not set; ${hint}` })
    .trim()
    .min(1, { error: `is empty; ${hint}` });

const postgresUrl = () =>
  required(
    "set it to a postgresql:// URL naming user, password, host, port and database (see .env.staging.example)",
  ).superRefine((value, ctx) => {
    const problem = postgresUrlProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

const httpUrl = (fallback: string) =>
  z
    .string()
    .trim()
    .default(fallback)
    .superRefine((value, ctx) => {
      const problem = httpUrlProblem(value);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    });

const optionalHttpUrl = () =>
  z
    .string()
    .trim()
    .optional()
    .superRefine((value, ctx) => {
      if (value === undefined) return;
      const problem = httpUrlProblem(value);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    });

const requiredHttpUrl = (hint: string) =>
  required(hint).superRefine((value, ctx) => {
    if (httpUrlProblem(value)) ctx.addIssue({ code: "custom", message: `is not an http:// or https:// URL; ${hint}` });
  });

/** A password: kept as written (spaces are part of it), but never empty. */
const requiredPassword = (hint: string) =>
  z.string({ error: `is not set; ${hint}` }).min(1, { error: `is empty; ${hint}` });

const keyWithPrefix = (prefixes: string[], what: string) =>
  required(`set it to the ${what}`).refine((value) => prefixes.some((prefix) => value.startsWith(prefix)), {
    error: `does not look like a ${what} (expected it to start with ${prefixes.join(" or ")})`,
  });

/**
 * How each variable is validated, built only when a command validates it: building zod schemas
 * costs start-up time (the whole set, some 10 ms), and a backup, which validates three, times its
 * start against bare pg_dump.
 */
const FIELD_SCHEMAS = {
  /** Staging database connection string. */
  DATABASE_URL: postgresUrl,
  /** Staging Redis host (a host name, not a URL). */
  REDIS_HOST: () =>
    required(REDIS_HOST_HINT).refine((value) => /^[A-Za-z0-9.\-_:[\]]+$/.test(value), {
      error: `is not a host name; ${REDIS_HOST_HINT}`,
    }),
  REDIS_PORT: () =>
    z.coerce
      .number({ error: "is not a number; set it to the Redis port, e.g. 6379" })
      .int({ error: "is not a whole number; set it to the Redis port, e.g. 6379" })
      .min(1, { error: "is out of range; use a port between 1 and 65535" })
      .max(65535, { error: "is out of range; use a port between 1 and 65535" })
      .default(6379),
  REDIS_PASSWORD: () => z.string().optional(),
  /** Clerk secret key (test keys in every environment but production). */
  CLERK_SECRET_KEY: () => keyWithPrefix(["sk_test_", "sk_live_"], "Clerk secret key"),
  /** Stripe secret or restricted key (test keys in every environment but production). */
  STRIPE_SECRET_KEY: () => keyWithPrefix(["sk_test_", "rk_test_", "sk_live_", "rk_live_"], "Stripe secret key"),
  /** OpenAI API key; without it the AI features are disabled. */
  OPENAI_API_KEY: () => z.string().trim().optional(),
  /** Base URL of an OpenAI-compatible API (default: OpenAI's). */
  OPENAI_BASE_URL: optionalHttpUrl,
  /** Where verification reaches the api and the web front end (compose service names by default). */
  API_URL: () => httpUrl("http://api:4000"),
  WEB_URL: () => httpUrl("http://web:3000"),
  /** Prometheus Pushgateway that backups report to (optional). */
  PUSHGATEWAY_URL: optionalHttpUrl,
  /**
   * What the compose stack itself requires (`${NAME:?}` in its file, and Alertmanager's secrets):
   * checked here so that a missing one stops the deploy before anything is built. POSTGRES_USER is
   * the database superuser (administration only), never DATABASE_URL's user (rules.ts).
   */
  POSTGRES_USER: () =>
    required(
      "set it to the database superuser the postgres container creates (an admin name, not the user of DATABASE_URL)",
    ),
  POSTGRES_PASSWORD: () => requiredPassword("set it to that superuser's password (openssl rand -hex 24)"),
  POSTGRES_DB: () => required("set it to the database the postgres container creates (the database of DATABASE_URL)"),
  GRAFANA_ADMIN_USER: () => required("set it to the name of Grafana's admin account, e.g. admin"),
  GRAFANA_ADMIN_PASSWORD: () =>
    requiredPassword("set it to a password for Grafana's admin account (openssl rand -hex 16)"),
  ALERTMANAGER_CRITICAL_WEBHOOK_URL: () =>
    requiredHttpUrl("set it to the Slack incoming-webhook URL for critical alerts"),
  ALERTMANAGER_WARNING_WEBHOOK_URL: () => requiredHttpUrl("set it to the Slack incoming-webhook URL for warnings"),
  /** Where the deploy lock and the release ledger live (default .lh-state/<env>). */
  LH_STATE_DIR: () => z.string().trim().min(1).optional(),
  /** Signs backup sidecars (HMAC-SHA256); when set (non-empty), restore refuses unsigned backups. A secret. */
  BACKUP_SIGNING_KEY: () =>
    z
      .string()
      .refine((value) => value === "" || value.length >= 32, {
        error: "is too short; use at least 32 random characters (openssl rand -hex 32), or leave it empty",
      })
      .optional(),
};

type FieldSchemas = typeof FIELD_SCHEMAS;
export type ConfigName = keyof FieldSchemas;
/** The schema of the variables named (all of them by default). */
export function configSchema<Name extends ConfigName = ConfigName>(names?: readonly Name[]) {
  const picked = (names ?? (Object.keys(FIELD_SCHEMAS) as Name[])).map((name) => [name, FIELD_SCHEMAS[name]()]);
  return z.object(Object.fromEntries(picked) as { [K in Name]: ReturnType<FieldSchemas[K]> });
}

export type Config = z.infer<ReturnType<typeof configSchema<ConfigName>>>;
export const CONFIG_NAMES = Object.keys(FIELD_SCHEMAS) as ConfigName[];
