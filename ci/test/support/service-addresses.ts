/**
 * Where the tests reach the shared PostgreSQL and Redis: the one place every test takes these
 * addresses from. On a CI machine or a laptop they are the machine's own (127.0.0.1); in the test
 * container (`dagger call test`, and its replay in tests/e2e) the services answer as `postgres`
 * and `redis`, and the container sets these variables. Empty counts as unset.
 *
 *   TEST_POSTGRES_URL  an admin URL of a PostgreSQL 15 with trust auth (default postgresql://postgres@127.0.0.1:5432/postgres)
 *   TEST_REDIS_HOST    a Redis 7 without a password (default 127.0.0.1)
 *   TEST_REDIS_PORT    its port (default 6379)
 */
export const TEST_SERVICE_VARIABLES = ["TEST_POSTGRES_URL", "TEST_REDIS_HOST", "TEST_REDIS_PORT"] as const;

function setting(name: (typeof TEST_SERVICE_VARIABLES)[number], fallback: string): string {
  const value = process.env[name];
  return value === undefined || value === "" ? fallback : value;
}

function port(name: string, value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 65_535) {
    throw new Error(
      `${name}=${value} is not a TCP port: set it to a number from 1 to 65535, or unset it for the default`,
    );
  }
  return parsed;
}

function postgres(): { url: string; host: string; port: number } {
  const url = setting("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    parsed = new URL("invalid:");
  }
  if (!/^postgres(ql)?:$/.test(parsed.protocol) || !parsed.hostname) {
    throw new Error(
      "TEST_POSTGRES_URL is not a postgresql:// URL with a host: set it like postgresql://postgres@postgres:5432/postgres",
    );
  }
  // A bracketed IPv6 host loses its brackets here: pg and libpq want the bare address.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  return { url, host, port: port("TEST_POSTGRES_URL's port", parsed.port || "5432") };
}

/** The shared PostgreSQL: an admin URL (tests make their own databases) and its host and port. */
export const TEST_POSTGRES = postgres();

/** The shared Redis (tests use keys of their own; one that stops Redis starts a PrivateRedis). */
export const TEST_REDIS = {
  host: setting("TEST_REDIS_HOST", "127.0.0.1"),
  port: port("TEST_REDIS_PORT", setting("TEST_REDIS_PORT", "6379")),
};

/** `host:port` of the shared PostgreSQL, with brackets around an IPv6 address (for URLs). */
export function postgresAuthority(portOverride = TEST_POSTGRES.port): string {
  const host = TEST_POSTGRES.host.includes(":") ? `[${TEST_POSTGRES.host}]` : TEST_POSTGRES.host;
  return `${host}:${portOverride}`;
}
