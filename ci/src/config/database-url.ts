import { parse } from "pg-connection-string";

/**
 * DATABASE_URL as the clients read it. The guard must judge the server and database the clients
 * really connect to, so it reads the URL with `pg-connection-string` (the parser `pg` uses) and
 * compares with a full percent-decoding (what libpq, behind pg_dump and psql, does): when the two
 * disagree, or a query parameter could send the connection elsewhere, the URL is refused.
 */
export interface DatabaseUrl {
  /** Every host the clients may connect to (libpq accepts a comma-separated list). */
  hosts: string[];
  port: number;
  database: string;
  user: string;
  password: string;
}

const HINT = "set it to a postgresql:// URL naming user, password, host, port and database (see .env.staging.example)";

/**
 * Query parameters that only tune a connection (libpq's and Prisma's). Anything else is refused:
 * `host`, `hostaddr`, `port`, `dbname`, `user`, `service`, `servicefile` redirect the connection,
 * and `sslcert`/`sslkey`/`sslrootcert` make pg read a file while parsing. Fail closed: a name
 * not listed here is refused too.
 */
const TUNING_PARAMETERS = new Set([
  "sslmode",
  "sslpassword",
  "sslnegotiation",
  "connect_timeout",
  "application_name",
  "fallback_application_name",
  "options",
  "keepalives",
  "keepalives_idle",
  "keepalives_interval",
  "keepalives_count",
  "tcp_user_timeout",
  "gssencmode",
  "channel_binding",
  "client_encoding",
  // Prisma's own
  "schema",
  "connection_limit",
  "pool_timeout",
  "socket_timeout",
  "pgbouncer",
  "statement_cache_size",
  "sslaccept",
]);

/** The keys pg-connection-string sets itself (not from the query); ssl is derived from sslmode. */
const PARSER_KEYS = new Set(["host", "port", "database", "user", "password", "ssl", ...TUNING_PARAMETERS]);

export type DatabaseUrlResult = { ok: true; url: DatabaseUrl } | { ok: false; problem: string };

export function readDatabaseUrl(value: string): DatabaseUrlResult {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return refuse(`is not a valid URL; ${HINT}`);
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    return refuse(`must start with postgres:// or postgresql://; ${HINT}`);
  }
  if (url.hash) return refuse(`has a #fragment, which pg ignores and libpq reads as part of the name; drop it`);
  // Checked before pg's parser runs: it would read sslcert/sslkey/sslrootcert files.
  const queryNames = [...new URLSearchParams(queryOf(value)).keys()];
  const redirecting = [...new Set(queryNames.filter((name) => !TUNING_PARAMETERS.has(name)).map(printable))];
  if (redirecting.length > 0) {
    return refuse(
      `has query parameter(s) ${redirecting.join(", ")}, refused: they can send the connection to another host, port, user or database than the one checked (or make the client read a file); put host, port and database in the URL itself and drop them`,
    );
  }
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(value);
  } catch {
    return refuse(`cannot be read by the PostgreSQL client; ${HINT}`);
  }
  const unexpected = Object.keys(parsed)
    .filter((name) => !PARSER_KEYS.has(name))
    .map(printable);
  if (unexpected.length > 0) return refuse(`has query parameter(s) ${unexpected.join(", ")}, refused; drop them`);

  const host = parsed.host ?? "";
  const database = parsed.database ?? "";
  if (!host) return refuse(`has no host; ${HINT}`);
  if (!database) return refuse("names no database; add /DBNAME after the host");
  // libpq decodes every escape; pg's parser leaves reserved ones (%2F...). Both must agree.
  const rawHost = url.hostname.replace(/^\[(.+)\]$/, "$1");
  if (fullyDecoded(url.pathname.slice(1)) !== database || fullyDecoded(rawHost) !== host) {
    return refuse(
      "has percent-escapes in the host or database name that PostgreSQL clients decode differently; write the name without escapes",
    );
  }
  const port = parsed.port ? Number(parsed.port) : 5432;
  if (!/^\d*$/.test(parsed.port ?? "") || !Number.isInteger(port) || port < 1 || port > 65535) {
    return refuse("has a port out of range; use a port between 1 and 65535");
  }
  const hosts = host.split(",").map((name) => name.trim().replace(/^\[(.+)\]$/, "$1"));
  if (hosts.some((name) => name === "")) return refuse(`has an empty host in its host list; ${HINT}`);
  return {
    ok: true,
    url: { hosts, port, database, user: parsed.user ?? "", password: parsed.password ?? "" },
  };
}

function refuse(problem: string): DatabaseUrlResult {
  return { ok: false, problem };
}

/** A parameter name as printed: plain names as they are, anything odd (control characters...) hidden. */
function printable(name: string): string {
  return /^[\w.-]{1,40}$/.test(name) ? name : "(an unprintable name)";
}

/** The raw query string (between the first `?` and any `#`), undecoded. */
function queryOf(value: string): string {
  const start = value.indexOf("?");
  if (start < 0) return "";
  const end = value.indexOf("#", start);
  return value.slice(start + 1, end < 0 ? undefined : end);
}

/** Decodes every percent-escape once, as libpq does; undecodable input stays as it is. */
function fullyDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
