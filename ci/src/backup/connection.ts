import type pg from "pg";

/**
 * A PostgreSQL connection split so that the password never reaches a command line: child
 * processes get the URL without it and the password in PGPASSWORD; the pg client gets both.
 */
export interface PgTarget {
  /** libpq URL without password, and without query parameters libpq would reject. */
  url: string;
  password?: string;
  database: string;
  /** `host:port/database`, for messages. */
  label: string;
}

/** Query parameters libpq understands; others (Prisma's `schema`, `connection_limit`...) make it fail. */
const LIBPQ_PARAMETERS = new Set([
  "sslmode",
  "sslcert",
  "sslkey",
  "sslrootcert",
  "sslcrl",
  "sslpassword",
  "connect_timeout",
  "application_name",
  "options",
  "target_session_attrs",
  "gssencmode",
  "channel_binding",
]);

export function pgTarget(databaseUrl: string): PgTarget {
  const url = new URL(databaseUrl);
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  url.password = "";
  for (const name of [...url.searchParams.keys()]) {
    if (!LIBPQ_PARAMETERS.has(name)) url.searchParams.delete(name);
  }
  const database = decodeURIComponent(url.pathname.slice(1));
  return { url: url.toString(), password, database, label: `${url.hostname}:${url.port || "5432"}/${database}` };
}

/** The same server and credentials, another database (a scratch database for a test restore). */
export function withDatabase(target: PgTarget, database: string): PgTarget {
  const url = new URL(target.url);
  url.pathname = `/${encodeURIComponent(database)}`;
  return { ...target, url: url.toString(), database, label: target.label.replace(/\/[^/]*$/, `/${database}`) };
}

/**
 * Environment for pg_dump / psql: the caller's without any PG* variable (PGHOSTADDR, PGSERVICE,
 * PGOPTIONS... would send the connection elsewhere than the URL the guards judged, or change how
 * it behaves), plus our password and a connect timeout.
 */
export function childEnvironment(target: PgTarget, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(base).filter(([name]) => !/^PG/i.test(name)));
  env.PGCONNECT_TIMEOUT = "10";
  if (target.password !== undefined) env.PGPASSWORD = target.password;
  return env;
}

/**
 * The pg client's settings. The password goes back into the URL: pg lets every field parsed from
 * `connectionString` override the explicit ones, so a separate `password` would be replaced by the
 * URL's empty one (seen on the first real run, against a server that asks for a password).
 */
export function clientConfig(target: PgTarget, applicationName = "lh-ci"): pg.ClientConfig {
  const url = new URL(target.url);
  if (target.password !== undefined) url.password = encodeURIComponent(target.password);
  return {
    connectionString: url.toString(),
    connectionTimeoutMillis: 10_000,
    application_name: applicationName,
  };
}
