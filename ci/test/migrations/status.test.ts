import { cpSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createTestDatabase, withClient } from "../support/database.ts";
import { applyMigrations, PRISMA_MIGRATIONS_DDL } from "../support/prisma-migrations.ts";
import { runCli } from "../support/run-cli.ts";
import { tempDir } from "../support/temp-dir.ts";

const FIXTURE = fileURLToPath(new URL("../fixtures/safety-migrations", import.meta.url));
const [INIT, MATTERS, TITLE] = ["20260101000000_init", "20260102000000_matters", "20260103000000_matter_title"];
const dir = tempDir("lh-migrations-status-");

// One database per scenario, all created up front (each is dropped after the file).
const database = () => createTestDatabase("lh_mig_status");
const [partial, failed, rolledBack, complete, fresh] = await Promise.all([
  database(),
  database(),
  database(),
  database(),
  database(),
]);

function status(url: string, args: string[] = []) {
  return runCli(["migrations", "status", "--migrations-dir", FIXTURE, ...args], {
    env: { DATABASE_URL: url },
    cwd: dir,
  });
}

async function recordStarted(url: string, name: string, extra: string): Promise<void> {
  await withClient(url, (client) =>
    client.query(
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, logs${extra ? ", rolled_back_at" : ""})
       VALUES (gen_random_uuid()::text, 'x', $1, now(), 'ERROR: column "title" already exists'${extra ? ", now()" : ""})`,
      [name],
    ),
  );
}

describe("lh-ci migrations status", () => {
  it("passes when every migration is applied", async () => {
    await withClient(complete.url, (client) => applyMigrations(client, FIXTURE));
    const result = await status(complete.url);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`applied +${INIT}\\napplied +${MATTERS}\\napplied +${TITLE}`));
    expect(result.stderr).toContain("all 3 migrations applied");
  });

  it("reports a pending migration, one line per problem, exit 1", async () => {
    await withClient(partial.url, (client) => applyMigrations(client, FIXTURE, 2));
    const result = await status(partial.url);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`pending +${TITLE}`));
    expect(result.stderr).toContain(`error: ${TITLE}: pending`);
    const json = JSON.parse((await status(partial.url, ["--json"])).stdout);
    expect(json.migrations.map((m: { state: string }) => m.state)).toEqual(["applied", "applied", "pending"]);
  });

  it("reports a failed migration with its log and what to do", async () => {
    await withClient(failed.url, (client) => applyMigrations(client, FIXTURE, 2));
    await recordStarted(failed.url, TITLE, "");
    const result = await status(failed.url);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`failed +${TITLE}`));
    expect(result.stderr).toContain(`error: ${TITLE}: failed (started `);
    expect(result.stderr).toContain('never finished: ERROR: column "title" already exists');
    expect(result.stderr).toContain("prisma migrate resolve");
  });

  it("reports a rolled-back migration (prisma migrate resolve --rolled-back)", async () => {
    await withClient(rolledBack.url, (client) => applyMigrations(client, FIXTURE, 2));
    await recordStarted(rolledBack.url, TITLE, "rolled back");
    const result = await status(rolledBack.url);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`rolled-back +${TITLE}`));
    expect(result.stderr).toContain(
      `error: ${TITLE}: rolled-back (marked rolled back; prisma migrate deploy applies it again)`,
    );
  });

  it("reports a migration modified after it was applied (sha256 checksum)", async () => {
    const copy = join(dir, "modified");
    cpSync(FIXTURE, copy, { recursive: true });
    writeFileSync(join(copy, MATTERS, "migration.sql"), 'CREATE TABLE "Matter" ("id" TEXT PRIMARY KEY);\n');
    const result = await runCli(["migrations", "status", "--migrations-dir", copy], {
      env: { DATABASE_URL: complete.url },
      cwd: dir,
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`applied +${INIT}\\nmodified +${MATTERS}\\napplied +${TITLE}`));
    expect(result.stderr).toContain(`error: ${MATTERS}: modified (migration.sql changed after it was applied`);
  });

  it("warns about a migration only the database knows (an older release), without failing", async () => {
    const copy = join(dir, "older");
    cpSync(FIXTURE, copy, { recursive: true });
    rmSync(join(copy, TITLE), { recursive: true });
    const result = await runCli(["migrations", "status", "--migrations-dir", copy], {
      env: { DATABASE_URL: complete.url },
      cwd: dir,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`missing-locally +${TITLE}`));
    expect(result.stderr).toContain(`warning: ${TITLE}: recorded in the database but not in the migrations folder`);
  });

  it("treats a database without _prisma_migrations as having everything pending", async () => {
    const result = await status(fresh.url);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("_prisma_migrations does not exist");
    expect(result.stderr).toContain(`error: ${INIT}: pending`);
    await withClient(fresh.url, (client) => client.query(PRISMA_MIGRATIONS_DDL));
    expect((await status(fresh.url)).stderr).not.toContain("does not exist");
  });

  it("refuses a migrations folder that does not exist with exit 2", async () => {
    const result = await runCli(["migrations", "status", "--migrations-dir", join(dir, "nope")], {
      env: { DATABASE_URL: complete.url },
      cwd: dir,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("does not exist; pass --migrations-dir");
  });
});
