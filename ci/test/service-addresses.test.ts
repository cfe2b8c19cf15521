/**
 * The one place tests take the shared PostgreSQL and Redis from: the machine's by default, the
 * services named by TEST_POSTGRES_URL / TEST_REDIS_HOST / TEST_REDIS_PORT in the test container.
 * Read in a fresh process per case (the module reads its environment once, at import).
 */
import { describe, expect, it } from "vitest";
import { minimalEnvironment, runProcess } from "./support/run-process.ts";

const MODULE = new URL("./support/service-addresses.ts", import.meta.url).href;

async function addresses(extra: Record<string, string>) {
  const script = `const m = await import(${JSON.stringify(MODULE)}); console.log(JSON.stringify({ postgres: m.TEST_POSTGRES, redis: m.TEST_REDIS, authority: m.postgresAuthority() }));`;
  const result = await runProcess(process.execPath, ["--input-type=module", "-e", script], {
    env: minimalEnvironment(extra),
  });
  return { ...result, value: result.code === 0 ? JSON.parse(result.stdout) : undefined };
}

describe("test service addresses", () => {
  it("default to the machine's PostgreSQL and Redis on 127.0.0.1", async () => {
    const { value, stderr } = await addresses({});
    expect(value, stderr).toEqual({
      postgres: { url: "postgresql://postgres@127.0.0.1:5432/postgres", host: "127.0.0.1", port: 5432 },
      redis: { host: "127.0.0.1", port: 6379 },
      authority: "127.0.0.1:5432",
    });
  });

  it("follow the test container's services, and treat an empty variable as unset", async () => {
    const { value } = await addresses({
      TEST_POSTGRES_URL: "postgresql://postgres@postgres:5433/postgres",
      TEST_REDIS_HOST: "redis",
      TEST_REDIS_PORT: "",
    });
    expect(value).toEqual({
      postgres: { url: "postgresql://postgres@postgres:5433/postgres", host: "postgres", port: 5433 },
      redis: { host: "redis", port: 6379 },
      authority: "postgres:5433",
    });
  });

  it("keep an IPv6 host bare for pg and bracketed in URLs", async () => {
    const { value } = await addresses({ TEST_POSTGRES_URL: "postgresql://postgres@[::1]/postgres" });
    expect(value.postgres).toMatchObject({ host: "::1", port: 5432 });
    expect(value.authority).toBe("[::1]:5432");
  });

  it.each([
    [{ TEST_REDIS_PORT: "redis" }, "TEST_REDIS_PORT=redis is not a TCP port"],
    [{ TEST_POSTGRES_URL: "postgres:5432" }, "TEST_POSTGRES_URL is not a postgresql:// URL with a host"],
    [{ TEST_POSTGRES_URL: "not a url" }, "TEST_POSTGRES_URL is not a postgresql:// URL with a host"],
    [{ TEST_POSTGRES_URL: "postgresql://postgres@postgres:99999/postgres" }, "TEST_POSTGRES_URL"],
  ])("refuse %j, naming the variable", async (extra, message) => {
    const result = await addresses(extra);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(message);
  });
});
