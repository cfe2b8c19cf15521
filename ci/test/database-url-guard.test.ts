import { describe, expect, it } from "vitest";
import { createTestDatabase, withClient } from "./support/database.ts";
import { runCli } from "./support/run-cli.ts";
import { postgresAuthority, TEST_POSTGRES } from "./support/service-addresses.ts";
import { stackValues } from "./support/stack-values.ts";

const PASSWORD = "guard-pa55word-xyz";
const KEYS = {
  REDIS_HOST: "redis",
  CLERK_SECRET_KEY: "sk_test_clerkTestValue999",
  STRIPE_SECRET_KEY: "sk_test_stripeTestValue999",
  // The stack's superuser is another user than the URLs' (u).
  ...stackValues(PASSWORD),
};

async function envCheck(databaseUrl: string) {
  const result = await runCli(["env", "check"], { env: { ...KEYS, DATABASE_URL: databaseUrl } });
  expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  return result;
}

/** What the pg client really connects to, asked of the server itself. */
async function connectedTo(databaseUrl: string): Promise<{ database: string; port: number }> {
  return withClient(databaseUrl, async (client) => {
    const { rows } = await client.query("SELECT current_database() AS database, inet_server_port() AS port");
    return rows[0];
  });
}

describe("DATABASE_URL guard: judges what the client connects to", () => {
  it("decodes the database name: lh_%70rod is refused as lh_prod, the database pg really opens", async () => {
    const { name } = await createTestDatabase("lh_test_guard_prod");
    const encoded = name.replace(/_prod_/, "_%70rod_");
    const url = `postgresql://postgres@${postgresAuthority()}/${encoded}`;
    expect((await connectedTo(url)).database).toBe(name);

    const result = await envCheck(url.replace("postgres@", `postgres:${PASSWORD}@`));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("DATABASE_URL: points at a production database host or name, refused in staging");

    // Every command that reads DATABASE_URL is stopped by the same guard before it connects.
    const status = await runCli(["migrations", "status"], { env: { DATABASE_URL: url } });
    expect(status.code).toBe(2);
    expect(status.stderr).toContain("DATABASE_URL: points at a production database");
  });

  it("refuses ?host=: the URL names one host while pg connects to the other", async () => {
    const { name } = await createTestDatabase("lh_test_guard");
    const url = `postgresql://postgres@staging-db.invalid:${TEST_POSTGRES.port}/${name}?host=${TEST_POSTGRES.host}`;
    expect((await connectedTo(url)).database).toBe(name);

    const result = await envCheck(url);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/DATABASE_URL: has query parameter\(s\) host, refused/);
  });

  it("refuses ?dbname= and ?port=, which pg or libpq would follow", async () => {
    const { name } = await createTestDatabase("lh_test_guard");
    const ported = `postgresql://postgres@${postgresAuthority(1)}/${name}?port=${TEST_POSTGRES.port}`;
    expect((await connectedTo(ported)).port).toBe(TEST_POSTGRES.port);
    expect((await envCheck(ported)).stderr).toMatch(/has query parameter\(s\) port, refused/);
    expect((await envCheck(`postgresql://postgres@127.0.0.1/${name}?dbname=lh_prod`)).stderr).toMatch(
      /has query parameter\(s\) dbname, refused/,
    );
  });

  const refused: Array<[string, RegExp]> = [
    ["postgresql://u@h/db?hostaddr=10.0.0.1", /query parameter\(s\) hostaddr, refused/],
    ["postgresql://u@h/db?service=prod", /query parameter\(s\) service, refused/],
    ["postgresql://u@h/db?servicefile=/tmp/x", /query parameter\(s\) servicefile, refused/],
    ["postgresql://u@h/db?user=admin", /query parameter\(s\) user, refused/],
    ["postgresql://u@h/db?ho%73t=elsewhere", /query parameter\(s\) host, refused/],
    ["postgresql://u@h/db?sslrootcert=/dev/zero", /query parameter\(s\) sslrootcert, refused/],
    ["postgresql://u@h/db?Host=elsewhere", /query parameter\(s\) Host, refused/],
    ["postgresql://u@h/lh%2Fstaging", /percent-escapes in the host or database name/],
    ["postgresql://u@h/db#x", /has a #fragment/],
    ["postgresql://u@staging,db-prod.internal/db", /points at a production database/],
    ["postgresql://u@db%2Dprod/db", /points at a production database/],
    ["postgresql://u@/db", /is not a valid URL|has no host/],
  ];
  for (const [url, message] of refused) {
    it(`refuses ${url}`, async () => {
      const result = await envCheck(url.replace("u@", `u:${PASSWORD}@`));
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
    });
  }

  it("accepts tuning parameters (sslmode, Prisma's schema) and IPv6 hosts", async () => {
    for (const url of [
      `postgresql://u:${PASSWORD}@postgres:5432/lawyers_hub_staging?sslmode=disable&schema=public&connection_limit=5`,
      `postgresql://u:${PASSWORD}@[::1]:5432/lawyers_hub_staging`,
    ]) {
      const result = await envCheck(url);
      expect(result.stderr).not.toContain("error: DATABASE_URL");
      expect(result.code).toBe(0);
    }
  });
});
