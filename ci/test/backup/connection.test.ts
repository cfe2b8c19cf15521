import pg from "pg";
import { describe, expect, it } from "vitest";
import { childEnvironment, clientConfig, pgTarget } from "../../src/backup/connection.ts";

// pg resolves its connection parameters from the config the way it will connect: these read them
// back from a real (unconnected) pg.Client.
function resolved(config: pg.ClientConfig): { user?: string; password?: unknown; database?: string; host?: string } {
  const client = new pg.Client(config) as unknown as {
    connectionParameters: { user?: string; password?: unknown; database?: string; host?: string };
  };
  return client.connectionParameters;
}

describe("PostgreSQL connection split", () => {
  it("gives the pg client the password, percent-decoded, even though the URL for child processes has none", () => {
    const target = pgTarget("postgresql://lawyers_hub:p%40ss%3Aw%2Frd@postgres:5432/lawyers_hub_staging?schema=public");
    expect(target.url).not.toContain("p%40ss");
    expect(target.url).not.toContain("schema=");
    expect(resolved(clientConfig(target))).toMatchObject({
      user: "lawyers_hub",
      password: "p@ss:w/rd",
      database: "lawyers_hub_staging",
      host: "postgres",
    });
    expect(childEnvironment(target, {}).PGPASSWORD).toBe("p@ss:w/rd");
  });

  it("leaves the password unset when the URL has none", () => {
    const target = pgTarget("postgresql://postgres@127.0.0.1:5432/db");
    expect(resolved(clientConfig(target)).password).toBeFalsy();
    expect(childEnvironment(target, { PGPASSWORD: "inherited" }).PGPASSWORD).toBeUndefined();
  });
});
