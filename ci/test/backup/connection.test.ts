import pg from "pg";
import { describe, expect, it } from "vitest";
import { childEnvironment, clientConfig, pgTarget } from "../../src/backup/connection.ts";
import { tempDir } from "../support/temp-dir.ts";
import { filesIn, lhCi, seededDatabase } from "./support.ts";

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

describe("pg_dump's environment", async () => {
  const db = await seededDatabase("lh_backup_pgenv");

  it("holds no PG* variable of lh-ci's own: PGHOSTADDR or PGSERVICE cannot send the dump elsewhere than DATABASE_URL", async () => {
    const cwd = tempDir("lh-backup-pgenv-");
    const result = await lhCi(["backup", "--out", "out"], cwd, db.secretUrl, {
      PGHOSTADDR: "127.0.0.9",
      PGSERVICE: "no-such-service",
      PGPORT: "1",
      PGOPTIONS: "-c default_transaction_read_only=off -c search_path=nowhere",
    });
    expect(result.stderr).not.toContain("error:");
    expect(result.code).toBe(0);
    expect(filesIn(`${cwd}/out`).filter((name) => name.endsWith(".sql"))).toHaveLength(1);
  });

  it("keeps the rest of the caller's environment and sets only the password and a connect timeout", () => {
    const target = pgTarget("postgresql://u:pw@db:5432/app");
    expect(childEnvironment(target, { PATH: "/bin", LANG: "C.UTF-8", PGHOST: "x", pgservicefile: "/tmp/s" })).toEqual({
      PATH: "/bin",
      LANG: "C.UTF-8",
      PGCONNECT_TIMEOUT: "10",
      PGPASSWORD: "pw",
    });
  });
});
