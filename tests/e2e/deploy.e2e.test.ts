import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DeployTarget, prepareDeployTarget, deployReport as report } from "./support/deploy-target.ts";
import { docker, run } from "./support/docker.ts";
import { waitFor } from "./support/http.ts";
import { SteadyLoad } from "./support/load.ts";
import { RolloutEvidence } from "./support/rollout-evidence.ts";
import { E2EStack } from "./support/stack.ts";
import { phase } from "./support/timing.ts";

// The deploy scenarios with `lh-ci deploy`, `rollback` and `stack ...` run on the host
// against the real compose file (plus tests/e2e/compose.e2e.yml) on the local engine, exactly as
// the Dagger module runs them in its deployer container. Images are under a prefix of their own
// (deploys prune the prefix's images of releases the ledger does not keep).

const PROJECT = "lhstack-e2e-deploy";
const PREFIX = "lhstack-e2e";
const A = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).trim();
const B = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0";
const C = "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0";
const D = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0";

let target: DeployTarget;
const scratch = mkdtempSync(join(tmpdir(), "lhstack-e2e-"));

const lhCi = (args: string[]) => target.lhCi(args);
const ops = (args: string[]) => target.ops(args);
const current = () => target.current();

async function psql(sql: string): Promise<string> {
  const result = await target.stack.compose([
    "exec",
    "-T",
    "postgres",
    "psql",
    "-U",
    "lawyers_hub",
    "-d",
    "lawyers_hub_staging",
    "-tA",
    "-v",
    "ON_ERROR_STOP=1",
    "-c",
    sql,
  ]);
  return result.stdout.trim();
}

/** The app services' containers of the project: `<id> <service> <state>`, sorted. */
async function appContainers(): Promise<string[]> {
  const listed = await docker([
    "container",
    "ls",
    "--all",
    "--filter",
    `label=com.docker.compose.project=${PROJECT}`,
    "--format",
    '{{.ID}} {{.Label "com.docker.compose.service"}} {{.State}}',
  ]);
  return listed.stdout
    .split("\n")
    .filter((line) => / (api|web|ai-gateway|worker) /.test(line))
    .sort();
}

async function createMatter(title: string): Promise<string> {
  const proxy = await target.proxy();
  const url = proxy.api("/v1/matters");
  const reply = await waitFor(
    "the api to take a matter",
    async () => {
      const answer = await proxy
        .postJson<{ matter: { id: string } }>(url, { title, clientName: "E2E Client" })
        .catch(() => undefined);
      return answer?.status === 201 ? answer : undefined;
    },
    60_000,
  );
  return reply.body.matter.id;
}

async function matterStatus(id: string): Promise<number> {
  const proxy = await target.proxy();
  return (await proxy.getJson<unknown>(proxy.api(`/v1/matters/${id}`))).status;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `action` (a deploy, a rollback) under a steady load of the web page and an api resource through
 * the proxy over HTTPS: a few seconds before, all of it, a few seconds after. Not one request may
 * fail; counts and latencies per phase are printed.
 */
async function underLoad<T>(label: string, matter: string, action: () => Promise<T>): Promise<T> {
  const load = new SteadyLoad(await target.proxy(), { targets: { web: "/", api: `/api/v1/matters/${matter}` } });
  const evidence = RolloutEvidence.start(target.stack);
  load.start();
  await sleep(3_000);
  load.phase("during");
  const result = await action();
  load.phase("after");
  await sleep(3_000);
  const report = await load.stop();
  const seen = await evidence.stop();
  console.log(`[e2e] load through the proxy (60 requests/s) while ${label}:\n${report.text}`);
  console.log(
    `[e2e] containers that exited meanwhile: ${seen.exits}; failed tries of an upstream: ${seen.failedTries}`,
  );
  // A failed request's cause, or a try the proxy had to repeat: what the engine and the proxy did
  // meanwhile, and what lh-ci said.
  if (report.failures.length > 0 || seen.failedTries > 0) {
    console.log(`[e2e] failed requests:\n  ${report.failures.join("\n  ") || "none"}\n${seen.text}`);
    const said = (result as { stderr?: unknown } | undefined)?.stderr;
    if (typeof said === "string") console.log(`[e2e] lh-ci's progress:\n${said}`);
  }
  expect(report.failures.slice(0, 20), `${report.failures.length} failed requests`).toEqual([]);
  // At least 50 requests a second over both targets while the deploy ran.
  const during = report.stats.filter((s) => s.phase === "during");
  expect(during.reduce((sum, s) => sum + s.rate, 0)).toBeGreaterThanOrEqual(50);
  return result;
}

/** A throwaway copy of the committed tree with extra migrations (the releases B and D). */
async function sourceWith(name: string, migrations: Record<string, string>): Promise<string> {
  const dir = join(scratch, name);
  mkdirSync(dir);
  await run("git", ["archive", "--format=tar", "--output", join(scratch, `${name}.tar`), "HEAD"], {});
  await run("tar", ["--extract", "--file", join(scratch, `${name}.tar`), "--directory", dir]);
  for (const [migration, sql] of Object.entries(migrations)) {
    const folder = join(dir, "apps", "api", "prisma", "migrations", migration);
    mkdirSync(folder);
    writeFileSync(join(folder, "migration.sql"), sql);
  }
  return dir;
}

/**
 * The same project as deployed before the application role existed: DATABASE_URL's user was
 * POSTGRES_USER (lawyers_hub), so migrate ran as the superuser and every table is its own.
 */
function legacyStack(): E2EStack {
  const superuser = `postgresql://lawyers_hub:${target.env.values.POSTGRES_PASSWORD}@postgres:5432/lawyers_hub_staging`;
  const path = join(scratch, ".env.legacy");
  const text = readFileSync(target.env.path, "utf8").replace(/^DATABASE_URL=.*$/m, `DATABASE_URL=${superuser}`);
  writeFileSync(path, text, { mode: 0o600 });
  return new E2EStack(PROJECT, { ...target.env, path });
}

/** A matter the superuser wrote (a uuid, as the api reads ids). */
const LEGACY_MATTER = "0e2e0000-1e9a-4c00-8000-000000000001";
/** Owners of the tables and sequences of schema public, each once. */
const PUBLIC_OWNERS = `SELECT string_agg(DISTINCT pg_get_userbyid(c.relowner), ',') FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'S')`;

const NOTES = {
  "29990101000000_e2e_notes": 'CREATE TABLE "e2e_notes" ("id" SERIAL PRIMARY KEY, "text" TEXT NOT NULL);\n',
};
const DROP = { "29990102000000_e2e_drop": 'DROP TABLE "e2e_scratch";\n' };

beforeAll(async () => {
  target = await prepareDeployTarget(PROJECT, PREFIX, A);
}, 3_600_000);

// Each release is built right before its deploy: a deploy prunes the images of releases the
// ledger does not keep, which includes releases not deployed yet.
async function buildB() {
  const withNotes = await sourceWith("b", NOTES);
  await target.build(withNotes, B, ["api", "ops"]);
  await target.tag(A, B, ["web", "ai-gateway", "worker", "browser-check"]);
}

/** C: B whose api process never starts serving (its migrate, same image, still works). */
async function buildC() {
  const broken = `FROM ${target.ref("api", B)}\nENTRYPOINT ["sh", "-c", "if [ \\"$1\\" = node ] && [ \\"$2\\" = src/main.ts ]; then exec sleep infinity; fi; exec \\"$@\\"", "sh"]\n`;
  writeFileSync(join(scratch, "Dockerfile.c"), broken);
  await docker(["build", "--file", join(scratch, "Dockerfile.c"), "--tag", target.ref("api", C), scratch], {
    timeoutMs: 300_000,
  });
  await target.tag(B, C, ["web", "ai-gateway", "worker", "browser-check", "ops"]);
}

async function buildD() {
  const withDrop = await sourceWith("d", { ...NOTES, ...DROP });
  await target.build(withDrop, D, ["api", "ops"]);
  await target.tag(A, D, ["web", "ai-gateway", "worker", "browser-check"]);
}

afterAll(async () => {
  await target?.cleanUp();
  rmSync(scratch, { recursive: true, force: true });
}, 600_000);

describe("lh-ci deploy, rollback and restore on the real stack", () => {
  let matterBeforeB = "";
  let backupOfA = "";

  it("0. a stack from before the application role: migrate ran as the superuser, which owns every table and a row", async () => {
    // The compose file of that time had no database-role one-shot before migrate: postgres, then
    // migrate alone (as the superuser, the role step would refuse to run).
    const legacyEnv = { env: { ...process.env, IMAGE_PREFIX: PREFIX, RELEASE: A }, timeoutMs: 300_000 };
    await phase("migrate as the superuser (the old way)", async () => {
      await legacyStack().compose(["up", "--detach", "--wait", "postgres"], legacyEnv);
      return await legacyStack().compose(["run", "--rm", "--no-TTY", "--no-deps", "migrate"], legacyEnv);
    });
    await psql(
      `INSERT INTO matters (id, title, client_name, updated_at) VALUES ('${LEGACY_MATTER}', 'written before the role', 'Legacy Client', now())`,
    );
    expect(await psql(PUBLIC_OWNERS)).toBe("lawyers_hub");
    expect(await psql("SELECT count(*) FROM pg_roles WHERE rolname = 'lawyers_hub_app'")).toBe("0");
  });

  it("1. first deploy of A: the role step gives the superuser's objects to the application role, the data kept; the ledger says A verified", async () => {
    const result = await phase("deploy A", () => lhCi(["deploy", "--release", A, "--json"]));
    expect(result.code, result.stderr).toBe(0);
    const deployed = report(result.stdout);
    // The legacy stack's migrate applied every migration A carries: A is backed up, not migrated again.
    const pending = `no migration pending (every migration of ${A} is applied already)`;
    expect(deployed.steps.filter((step) => step.status !== "ok")).toEqual([
      { step: "migrations check", status: "skipped", ms: 0, detail: pending },
      { step: "migrate", status: "skipped", ms: 0, detail: pending },
    ]);
    expect(deployed.steps.find((step) => step.step === "database role")?.detail).toMatch(
      /^created role lawyers_hub_app \(LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE\), ownership of \d+ objects moved to lawyers_hub_app, created database lawyers_hub_staging_restore_test for its restore tests$/,
    );
    expect(await psql(PUBLIC_OWNERS)).toBe("lawyers_hub_app");
    expect(
      await psql("SELECT rolsuper OR rolcreatedb OR rolcreaterole FROM pg_roles WHERE rolname = 'lawyers_hub_app'"),
    ).toBe("f");
    // The apps connect as that role: the api reads the row the superuser wrote.
    expect(await matterStatus(LEGACY_MATTER)).toBe(200);
    expect(deployed.recorded).toMatchObject({ commit: A, result: "verified" });
    expect(await current()).toBe(A);
    expect((await ops(["lock", "status"])).stdout).toMatch(/not held|free|no lock/i);
  });

  it("1b. a redeploy of A changes nothing in the database: backup, check and migrate skipped, up and verify run", async () => {
    const result = await phase("redeploy A", () => lhCi(["deploy", "--release", A, "--json"]));
    expect(result.code, result.stderr).toBe(0);
    const deployed = report(result.stdout);
    const status = Object.fromEntries(deployed.steps.map((step) => [step.step, step.status]));
    expect(status).toMatchObject({ backup: "skipped", "migrations check": "skipped", migrate: "skipped" });
    expect(status).toMatchObject({ changes: "ok", up: "ok", verify: "ok", record: "ok", unlock: "ok" });
    expect(deployed.steps.find((step) => step.step === "database role")?.detail).toBe(
      "nothing to do: lawyers_hub_app exists, owns the database and its objects",
    );
    // Every container already runs A as configured, healthy: compose up is not run at all.
    expect(deployed.steps.find((step) => step.step === "up")?.detail).toMatch(
      new RegExp(
        `^nothing to change: all \\d+ services already run ${A} as configured, healthy \\(compose up not needed; migrate not run again: none pending\\)$`,
      ),
    );
    expect(deployed.recorded).toMatchObject({ commit: A, result: "verified" });
    // The one-shot did not run again, and its exited container is gone (as that up would have removed it).
    const migrate = await target.stack.compose(["ps", "--all", "--quiet", "migrate"]);
    expect(migrate.stdout.trim()).toBe("");
  });

  it("2. data written through the api; B adds a migration: the pre-migrate backup holds A's data, B is verified", async () => {
    matterBeforeB = await createMatter("written under A");
    const copy = await lhCi(["stack", "backup", "--out", join(scratch, "backups")]);
    expect(copy.code, copy.stderr).toBe(0);
    backupOfA = copy.stdout.trim().split("\n").at(-1) ?? "";
    await buildB();
    const result = await underLoad("deploying B", matterBeforeB, () =>
      phase("deploy B", () => lhCi(["deploy", "--release", B, "--json"])),
    );
    expect(result.code, result.stderr).toBe(0);
    const deployed = report(result.stdout);
    const seconds = (ms = 0) => `${(ms / 1000).toFixed(1)} s`;
    console.log(`[e2e] deploy B, steps: ${deployed.steps.map((s) => `${s.step} ${seconds(s.ms)}`).join(", ")}`);
    // Every stateless service changed (new image tags): each replaced start-first.
    expect(deployed.steps.find((step) => step.step === "up")?.detail).toBe(
      `start-first rollout of api, web, ai-gateway, worker (${B}): new containers healthy, old ones drained`,
    );
    const backupName = deployed.steps.find((step) => step.step === "backup")?.detail?.split(" ")[0] ?? "";
    expect(backupName).toMatch(/^lawyers_hub_staging_\d{8}T\d{6}Z\.sql$/);
    const sidecar = await ops(["backup", "verify", `/backups/${backupName}`, "--json"]);
    expect(sidecar.code, sidecar.stderr).toBe(0);
    expect(sidecar.stdout).toContain("20261118141500_job_results");
    expect(sidecar.stdout).not.toContain("29990101000000_e2e_notes");
    const metadata = JSON.parse(sidecar.stdout.trim().split("\n").at(-1) ?? "{}") as { tables: Record<string, number> };
    // The matter the superuser wrote before the role (0.) and the one written under A.
    expect(Object.entries(metadata.tables).find(([table]) => /(^|\.)"?matters"?$/.test(table))?.[1]).toBe(2);
    expect(await psql("SELECT count(*) FROM e2e_notes")).toBe("0");
    const ledger = JSON.parse((await ops(["releases", "list", "--json"])).stdout) as { commit: string }[];
    // A twice: its first deploy and the redeploy of 1b.
    expect(ledger.map((entry) => entry.commit)).toEqual([B, A, A]);
  });

  it("3. C's api never becomes healthy: the deploy fails and rolls back to B, which runs and verifies", async () => {
    await buildC();
    const ofB = await appContainers();
    const result = await underLoad("deploying C, which never becomes healthy", matterBeforeB, () =>
      phase("deploy C (rolled back)", () => lhCi(["deploy", "--release", C, "--json"])),
    );
    expect(result.code).toBe(1);
    const failed = report(result.stdout);
    // C carries B's migrations, all applied: backed up first, migrate not run.
    const status = Object.fromEntries(failed.steps.map((step) => [step.step, step.status]));
    expect(status).toMatchObject({ backup: "ok", "migrations check": "skipped", migrate: "skipped" });
    // C's api was started next to B's, never became healthy (it exits at once, and restarts) and was
    // removed; B's was never stopped.
    expect(failed.steps.find((step) => step.step === "up")?.detail).toMatch(
      /^start-first rollout of (c0)+ stopped: the new container \S+-(api|web|ai-gateway|worker)-\d+ failed: (its health check failed \(unhealthy\)|it is (restarting|exited)); removed the new .+; the running containers were never stopped and still serve$/,
    );
    expect(failed).toMatchObject({
      ok: false,
      running: B,
      rolledBackTo: B,
      recorded: { commit: C, result: "rolled-back" },
    });
    expect(failed.messages.join("\n")).toMatch(/schema was left as migrated/);
    // The rollback kept B's containers, which C's rollout never stopped (and B's rollout started).
    expect(await appContainers()).toEqual(ofB);
    expect(await current()).toBe(B);
    expect((await lhCi(["stack", "verify"])).code).toBe(0);
    expect(await matterStatus(matterBeforeB)).toBe(200);
  });

  it("4. a deploy while another holds the lock is refused at once, naming the holder; nothing changes", async () => {
    expect((await ops(["lock", "acquire", "--owner", "e2e-other-operator"])).code).toBe(0);
    try {
      const result = await lhCi(["deploy", "--release", A, "--json"]);
      expect(result.code).toBe(1);
      const refused = report(result.stdout);
      expect(refused.steps.map((step) => step.step)).toEqual(["check config", "images", "lock"]);
      expect(refused.messages.join("\n")).toContain("e2e-other-operator");
      expect(await current()).toBe(B);
    } finally {
      expect((await ops(["lock", "release", "--force"])).code).toBe(0);
    }
  });

  it("5. rollback --to A (short SHA) with A's images retained: A runs and verifies, migrations are forward-only", async () => {
    const result = await underLoad("rolling back to A", matterBeforeB, () =>
      phase("rollback to A", () => lhCi(["rollback", "--to", A.slice(0, 7), "--json"])),
    );
    expect(result.code, result.stderr).toBe(0);
    const rolledBack = report(result.stdout);
    expect(rolledBack).toMatchObject({ ok: true, running: A, rolledBackTo: A });
    expect(rolledBack.messages.join("\n")).toContain("migrations are forward-only");
    expect(await current()).toBe(A);
  });

  it("6. restore of A's backup through stack restore: the data is as it was, a safety backup exists", async () => {
    const after = await createMatter("written after the backup");
    const result = await phase("stack restore", () => lhCi(["stack", "restore", backupOfA, "--yes"]));
    expect(result.code, result.stderr).toBe(0);
    const safety = /Safety backup: (\/backups\/\S+\.sql)/.exec(result.stderr)?.[1];
    expect(safety, result.stderr).toBeDefined();
    expect((await ops(["backup", "verify", safety as string])).code).toBe(0);
    await waitFor(
      "the api to answer after the restore",
      async () => ((await matterStatus(matterBeforeB)) === 200 ? true : undefined),
      60_000,
    );
    expect(await matterStatus(after)).toBe(404);
    // Restored as the application role: what the restore created is its own, the old row is back.
    expect(await psql(PUBLIC_OWNERS)).toBe("lawyers_hub_app");
    expect(await matterStatus(LEGACY_MATTER)).toBe(200);
  });

  it("8. a pending destructive migration is refused before anything changes; with the allow flag it runs", async () => {
    await buildD();
    await psql('SET ROLE lawyers_hub_app; CREATE TABLE "e2e_scratch" ("id" INT)');
    const refused = await phase("deploy D (refused)", () => lhCi(["deploy", "--release", D, "--json"]));
    expect(refused.code).toBe(1);
    const report1 = report(refused.stdout);
    expect(report1.steps.find((step) => step.step === "migrations check")).toMatchObject({ status: "failed" });
    expect(report1.steps.some((step) => step.step === "up")).toBe(false);
    expect(await current()).toBe(A);
    expect(await psql("SELECT count(*) FROM pg_tables WHERE tablename = 'e2e_scratch'")).toBe("1");
    const allowed = await phase("deploy D (allowed)", () =>
      lhCi(["deploy", "--release", D, "--allow-destructive-migrations", "--json"]),
    );
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(await current()).toBe(D);
    expect(await psql("SELECT count(*) FROM pg_tables WHERE tablename = 'e2e_scratch'")).toBe("0");
  });
});
