import { readDatabaseUrl } from "./database-url.ts";
import type { Config } from "./schema.ts";

/** A problem or a warning about one variable, phrased as "what is wrong and what to do". */
export interface ConfigFinding {
  variable: string;
  message: string;
}

const LIVE_STRIPE = /^(sk|rk)_live_/;
const LIVE_CLERK = /^sk_live_/;
const PRODUCTION_WORD = /(^|[^a-z])prod(uction)?([^a-z]|$)/i;

/**
 * Rules that depend on which environment is being configured. Outside production, live payment
 * and auth credentials and production databases are refused: staging must never charge a real card.
 */
export function environmentRules(envName: string, config: Partial<Config>): ConfigFinding[] {
  if (envName === "production") return [];
  const problems: ConfigFinding[] = [];
  if (config.STRIPE_SECRET_KEY && LIVE_STRIPE.test(config.STRIPE_SECRET_KEY)) {
    problems.push({
      variable: "STRIPE_SECRET_KEY",
      message: `is a live Stripe key, refused in ${envName}; use a test key (sk_test_... or rk_test_...)`,
    });
  }
  if (config.CLERK_SECRET_KEY && LIVE_CLERK.test(config.CLERK_SECRET_KEY)) {
    problems.push({
      variable: "CLERK_SECRET_KEY",
      message: `is a live Clerk key, refused in ${envName}; use the secret key of a Clerk development instance (sk_test_...)`,
    });
  }
  if (config.DATABASE_URL) {
    const read = readDatabaseUrl(config.DATABASE_URL);
    // Judged on what the client connects to: decoded (lh_%70rod is lh_prod), every host of a list.
    const names = read.ok ? [...read.url.hosts, read.url.database] : [];
    if (names.some((name) => PRODUCTION_WORD.test(name))) {
      problems.push({
        variable: "DATABASE_URL",
        message: `points at a production database host or name, refused in ${envName}; use the ${envName} database`,
      });
    }
  }
  return problems;
}

/**
 * The compose stack's PostgreSQL: POSTGRES_USER is the image's superuser, for administration only;
 * the apps, migrations and lh-ci connect as DATABASE_URL's user, an application role of its own
 * (the deploy creates it and gives it the database). Same database, different users.
 */
export function consistencyRules(config: Partial<Config>): ConfigFinding[] {
  const read = config.DATABASE_URL ? readDatabaseUrl(config.DATABASE_URL) : undefined;
  if (!read?.ok) return [];
  const { url } = read;
  const problems: ConfigFinding[] = [];
  if (config.POSTGRES_USER && url.user === config.POSTGRES_USER) {
    problems.push({
      variable: "DATABASE_URL",
      message: `connects as POSTGRES_USER (${url.user}), the database superuser; give DATABASE_URL an application user of its own (e.g. lawyers_hub_app, with its own password): the deploy creates that role, not a superuser, and makes it the owner of the database. On an existing stack keep POSTGRES_USER as it is`,
    });
  }
  if (config.POSTGRES_DB && url.database !== config.POSTGRES_DB) {
    problems.push({
      variable: "DATABASE_URL",
      message: `names the database ${url.database}, but POSTGRES_DB is ${config.POSTGRES_DB}; make them agree`,
    });
  }
  return problems;
}

/** Things that work but that the operator should know. */
export function configWarnings(config: Partial<Config>): ConfigFinding[] {
  const warnings: ConfigFinding[] = [];
  if (!config.OPENAI_API_KEY) {
    warnings.push({
      variable: "OPENAI_API_KEY",
      message: "is not set; AI features are disabled (the ai-gateway answers 503)",
    });
  }
  return warnings;
}

/** The secrets a copied .env.staging.example still holds placeholders for ("change-me", "replace..."). */
const PLACEHOLDER = /change[-_ ]?me|replace/i;
const SECRET_VARIABLES = [
  "POSTGRES_PASSWORD",
  "GRAFANA_ADMIN_PASSWORD",
  "CLERK_SECRET_KEY",
  "STRIPE_SECRET_KEY",
  "OPENAI_API_KEY",
  "REDIS_PASSWORD",
  "BACKUP_SIGNING_KEY",
  "ALERTMANAGER_CRITICAL_WEBHOOK_URL",
  "ALERTMANAGER_WARNING_WEBHOOK_URL",
] as const satisfies readonly (keyof Config)[];

/**
 * Refuses the example file's placeholders, which would otherwise deploy a stack whose passwords
 * are public and whose keys and webhooks fail only when first used. Names the variable only.
 */
export function placeholderRules(config: Partial<Config>): ConfigFinding[] {
  const problems: ConfigFinding[] = [];
  const read = config.DATABASE_URL ? readDatabaseUrl(config.DATABASE_URL) : undefined;
  if (read?.ok && PLACEHOLDER.test(read.url.password)) {
    problems.push({
      variable: "DATABASE_URL",
      message:
        "has the placeholder password of .env.staging.example; set a real one (openssl rand -hex 24), another than POSTGRES_PASSWORD's",
    });
  }
  for (const variable of SECRET_VARIABLES) {
    if (!PLACEHOLDER.test(config[variable] ?? "")) continue;
    problems.push({ variable, message: "is still the placeholder of .env.staging.example; set the real value" });
  }
  return problems;
}
