import { execFileSync } from "node:child_process";
import { appendFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, engineProblem, transcript } from "./support/docker.ts";
import { type E2EEnvironment, writeE2EEnvironment } from "./support/env-file.ts";
import { waitFor } from "./support/http.ts";
import { buildImage, imageName } from "./support/images.ts";
import { instantValue } from "./support/prometheus.ts";
import { E2EStack } from "./support/stack.ts";
import { phase, phaseSummary } from "./support/timing.ts";

// The compose stack's `backup` service (lh-ci backup schedule in the ops image) for real, with an
// interval of seconds: it backs up into the backups volume on its own, again and again, and its
// metrics reach Prometheus through the Pushgateway; one of its backups, signed with the default
// settings (the environment's key in the state volume), is then restored by the ops container as
// DATABASE_URL's application role. Only the services it needs are started.

const RELEASE = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).trim();
const INTERVAL_SECONDS = 5;
const SERVICES = ["postgres", "pushgateway", "alertmanager", "prometheus", "backup"];
const BACKUP_NAME = /^lawyers_hub_staging_\d{8}T\d{6}Z\.sql$/;
/** The scheduled backup taken after the application's row was written (the restore test's). */
let keptBackup = "";

let env: E2EEnvironment;
let stack: E2EStack;
const startedAt = Math.floor(Date.now() / 1000);

interface RunLine {
  event?: string;
  trigger?: string;
  outcome?: string;
  file?: string;
  restoreTest?: { outcome: string };
}

/** The backup service's JSON run lines, from its container log. */
async function runLines(): Promise<RunLine[]> {
  const logs = await stack.compose(["logs", "--no-color", "--no-log-prefix", "backup"]);
  // compose starts each line with a terminal's erase-line sequence: the JSON starts at its first brace.
  return logs.stdout
    .split("\n")
    .filter((line) => line.includes('{"event":'))
    .map((line) => JSON.parse(line.slice(line.indexOf("{"))) as RunLine)
    .filter((line) => line.event === "backup-schedule");
}

/** SQL as the postgres image's superuser, in the postgres container (local socket); `SET ROLE` to act as the application. */
async function psql(sql: string): Promise<string> {
  const result = await stack.compose([
    "exec",
    "-T",
    "postgres",
    "psql",
    "-U",
    env.values.POSTGRES_USER ?? "",
    "-d",
    env.values.POSTGRES_DB ?? "",
    "-tA",
    "-v",
    "ON_ERROR_STOP=1",
    "-c",
    sql,
  ]);
  return result.stdout.trim();
}

/** DATABASE_URL's user: the application role the backup service and ops connect as. */
function appRole(): string {
  return new URL(env.values.DATABASE_URL ?? "").username;
}

async function backupsInVolume(): Promise<string[]> {
  const listing = await stack.compose(["exec", "-T", "backup", "ls", "-A", "/backups"]);
  return listing.stdout.split("\n").filter(Boolean);
}

beforeAll(async () => {
  const problem = await engineProblem();
  if (problem) throw new Error(`the e2e needs a Docker engine: ${problem}. Run tests/e2e/provision.sh (as root).`);
  env = await writeE2EEnvironment(RELEASE);
  // The schedule under test: every few seconds from midnight UTC; one restore test an hour (the first run's).
  appendFileSync(
    env.path,
    `BACKUP_SCHEDULE_TIME=00:00\nBACKUP_SCHEDULE_INTERVAL=${INTERVAL_SECONDS}s\nBACKUP_RESTORE_TEST_INTERVAL=1h\n`,
  );
  stack = new E2EStack("lh-e2e-backup-schedule", env);
  await stack.down({ volumes: true });
});

afterAll(async () => {
  if (stack && (await stack.leftovers()).length > 0) await stack.down({ volumes: true });
  env?.remove();
  console.log(`[e2e] phases of the backup schedule e2e:\n${phaseSummary()}`);
});

describe("the stack's backup service on a real Docker engine", () => {
  it("starts with `up` and becomes healthy (its heartbeat health check)", async () => {
    const ops = imageName("ops", RELEASE);
    if ((await docker(["image", "inspect", ops], { allowFailure: true })).code !== 0) {
      await phase("build ops", () => buildImage("ops", RELEASE));
    }
    // The backup service connects as DATABASE_URL's application role: created first, as deploy does.
    await phase("database role", () => stack.databaseRole());
    await phase("compose up --wait (backup and what it needs)", () =>
      stack.compose(["up", "--detach", "--wait", ...SERVICES], { timeoutMs: 300_000 }),
    );
    const state = await stack.inspect<{ Status: string; Health?: { Status: string } }>("backup", ".State");
    expect(`${state.Status}/${state.Health?.Status}`).toBe("running/healthy");
    // The application's data, written as the application role, for the scheduled backups to carry.
    await psql(`SET ROLE ${appRole()}; CREATE TABLE e2e_kept (note text); INSERT INTO e2e_kept VALUES ('scheduled')`);
  });

  it(`backs up on its own every ${INTERVAL_SECONDS} s into the backups volume: at least two backups, each with its sidecar`, async () => {
    const names = await phase("two scheduled backups", () =>
      waitFor(
        "two backups in the volume",
        async () => {
          const found = (await backupsInVolume()).filter((name) =>
            /^lawyers_hub_staging_\d{8}T\d{6}Z\.sql$/.test(name),
          );
          return found.length >= 2 ? found : undefined;
        },
        120_000,
      ),
    );
    const all = await backupsInVolume();
    for (const name of names) expect(all).toContain(`${name}.json`);
    // A backup under way may show as a hidden .partial file now; none may stay once the service stopped (last test).
    const lines = await runLines();
    const ok = lines.filter((line) => line.outcome === "ok");
    expect(ok.length, JSON.stringify(lines)).toBeGreaterThanOrEqual(2);
    // The volume was empty: the first run is the catch-up, and it restore-tested its backup.
    expect(lines[0]).toMatchObject({ trigger: "catch-up", outcome: "ok", restoreTest: { outcome: "ok" } });
    expect(ok.slice(1).every((line) => line.trigger === "schedule")).toBe(true);
    // One taken after the application wrote its row (the first ones may be older): restored below.
    keptBackup = await phase("a scheduled backup holding the application's row", () =>
      waitFor(
        "a scheduled backup whose sidecar counts public.e2e_kept",
        async () => {
          const newest = (await backupsInVolume())
            .filter((name) => BACKUP_NAME.test(name))
            .sort()
            .at(-1);
          if (!newest) return undefined;
          const sidecar = await stack.compose(["exec", "-T", "backup", "cat", `/backups/${newest}.json`], {
            allowFailure: true,
          });
          if (sidecar.code !== 0) return undefined; // its sidecar is written just after it
          const tables = (JSON.parse(sidecar.stdout) as { tables: Record<string, number> }).tables;
          return tables["public.e2e_kept"] === 1 ? newest : undefined;
        },
        60_000,
      ),
    );
  });

  it("has its metrics in Prometheus through the Pushgateway: last success, and a passed restore test", async () => {
    const lastSuccess = await phase("last-success metric in Prometheus", () =>
      waitFor(
        "lawyers_hub_backup_last_success_timestamp_seconds in Prometheus",
        async () => {
          const value = await instantValue(
            env.ports.prometheus,
            'lawyers_hub_backup_last_success_timestamp_seconds{job="lawyers_hub_backup", env="staging"}',
          );
          return value !== undefined && value >= startedAt ? value : undefined;
        },
        90_000,
      ),
    );
    expect(lastSuccess).toBeGreaterThanOrEqual(startedAt);
    expect(
      await instantValue(
        env.ports.prometheus,
        'lawyers_hub_backup_restore_test_success{job="lawyers_hub_backup_schedule", env="staging"}',
      ),
    ).toBe(1);
    expect(await instantValue(env.ports.prometheus, "lawyers_hub_backup_failures_total")).toBe(0);
  });

  it("stops on `docker compose stop` without leaving a partial file", async () => {
    await phase("compose stop backup", () => stack.compose(["stop", "backup"]));
    const exit = await stack.inspect<number>("backup", ".State.ExitCode");
    expect([0, 143]).toContain(exit);
    // The volume seen from a throwaway ops container (without starting ops's dependencies).
    const listing = await stack.compose([
      "run",
      "--rm",
      "--no-TTY",
      "--no-deps",
      "--entrypoint",
      "ls",
      "ops",
      "-A",
      "/backups",
    ]);
    expect(listing.stdout.split("\n").filter((name) => name.endsWith(".partial"))).toEqual([]);
  });

  it("restores its newest backup, signed by default, as the application role (not a superuser): the data comes back", async () => {
    // Default settings: no exported key, so the environment's own key (made by the first backup) signed.
    expect(env.values.BACKUP_SIGNING_KEY ?? "").toBe("");
    const newest = keptBackup;
    expect(newest).toMatch(BACKUP_NAME);
    const read = await stack.compose([
      "run",
      "--rm",
      "--no-TTY",
      "--no-deps",
      "--entrypoint",
      "cat",
      "ops",
      `/backups/${newest}.json`,
    ]);
    const sidecar = JSON.parse(read.stdout) as { signature?: string; tables: Record<string, number> };
    expect(sidecar.signature).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(sidecar.tables["public.e2e_kept"]).toBe(1);
    expect(await psql(`SELECT rolsuper FROM pg_roles WHERE rolname = '${appRole()}'`)).toBe("f");

    await psql(`SET ROLE ${appRole()}; DELETE FROM e2e_kept; INSERT INTO e2e_kept VALUES ('after the backup')`);
    // Neither --allow-unsigned nor --allow-superuser: the signature and the role pass on their own.
    const restore = await phase("lh-ci restore (scheduled backup, application role)", () =>
      stack.compose(
        ["run", "--rm", "--no-TTY", "--no-deps", "ops", "lh-ci", "restore", `/backups/${newest}`, "--yes"],
        {
          timeoutMs: 180_000,
        },
      ),
    );
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.output).toMatch(/Safety backup: \/backups\//);
    expect(await psql("SELECT string_agg(note, ',') FROM e2e_kept")).toBe("scheduled");
    expect(await psql("SELECT tableowner FROM pg_tables WHERE tablename = 'e2e_kept'")).toBe(appRole());
  });

  it("leaves nothing behind after `down --volumes`, and printed no secret", async () => {
    await phase("compose down --volumes", () => stack.down({ volumes: true }));
    expect(await stack.leftovers()).toEqual([]);
    const everything = transcript.join("\n");
    for (const secret of env.canaries) expect(everything.includes(secret), "a canary secret was printed").toBe(false);
  });
});
