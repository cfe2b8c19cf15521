/**
 * lh-ci deploy, rollback and the stack commands for real: the miniature stack of
 * fixtures/mini-stack on the real Docker engine, driven through the lh-ci CLI exactly as an
 * operator or the Dagger module runs it. (The full stack and the deploy scenarios are the e2e's.)
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { DeployReport } from "../../src/stack/deploy-flow.ts";
import { tempDir } from "../support/temp-dir.ts";
import { CADDY_IMAGE, docker, NODE_IMAGE, POSTGRES_IMAGE, REDIS_IMAGE, requireEngine } from "./support/engine.ts";
import { miniStack } from "./support/mini-stack.ts";

requireEngine([NODE_IMAGE, POSTGRES_IMAGE, REDIS_IMAGE, CADDY_IMAGE]);

const stack = miniStack();
const A = "a000000000000000000000000000000000000001";
const B = "b000000000000000000000000000000000000002";
const BAD = "bad0000000000000000000000000000000000003";
const SLOW = "5100000000000000000000000000000000000004";
/** Healthy, verified in the stack, but its page names a script that answers 404: the browser check fails. */
const PAGE_404 = "e404000000000000000000000000000000000005";
/** One deploy of the miniature stack takes 20-60 s on a 2-core machine; a test may run two. */
const DEPLOY_TIMEOUT_MS = 300_000;
const ALL_STEPS = [
  "check config",
  "images",
  "lock",
  "load",
  "database role",
  "changes",
  "backup",
  "migrations check",
  "migrate",
  "up",
  "verify",
  "record",
  "prune",
  "unlock",
];

function report(stdout: string): DeployReport {
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as DeployReport;
}

/** Nothing any command printed may carry a secret of the env file. */
function expectNoSecret(...texts: string[]) {
  for (const text of texts) for (const canary of stack.canaries) expect(text).not.toContain(canary);
}

async function lastLineOf(args: string[]): Promise<string> {
  const result = await stack.lhCi(args);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim().split("\n").at(-1) ?? "";
}

// Each release is tagged right before its deploy: a deploy prunes the images of releases the
// ledger does not keep, which includes releases not deployed yet.
beforeAll(async () => {
  await stack.buildOps();
  await stack.tagRelease(A);
}, 900_000);

describe("lh-ci deploy on a real engine", () => {
  it(
    "first deploy: every step runs, the project files reach the host, the ledger says verified, the lock is free",
    async () => {
      const result = await stack.lhCi([
        "deploy",
        "--release",
        A,
        "--json",
        "--summary",
        join(stack.sourceDir, "summary.md"),
      ]);
      expect(result.code, result.stderr).toBe(0);
      const deployed = report(result.stdout);
      expect(deployed.steps.map((step) => [step.step, step.status])).toEqual(ALL_STEPS.map((step) => [step, "ok"]));
      expect(deployed).toMatchObject({ ok: true, running: A, recorded: { commit: A, result: "verified" } });
      expect(result.stderr).toContain("deploy: up...");
      expect(result.stderr).toMatch(/deploy: verify ok \(/);
      expect(existsSync(join(stack.projectDir, "compose", "docker-compose.staging.yml"))).toBe(true);
      expect(existsSync(join(stack.projectDir, "monitoring", "stub.cjs"))).toBe(true);
      expect(deployed.steps.find((step) => step.step === "load")?.detail).toContain("project files copied");
      // A fresh volume: the application role of DATABASE_URL is created and given the database.
      expect(deployed.steps.find((step) => step.step === "database role")?.detail).toBe(
        "created role lhstack_app (LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE), ownership of 2 objects moved to lhstack_app, created database lhstack_restore_test for its restore tests",
      );
      expect(await stack.psql("SELECT rolsuper FROM pg_roles WHERE rolname = 'lhstack_app'")).toBe("f");
      expect(
        await stack.psql("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = '_prisma_migrations'"),
      ).toBe("lhstack_app");
      expect(readFileSync(join(stack.sourceDir, "summary.md"), "utf8")).toContain(`### ✅ deploy to staging: ${A}`);
      expect(await lastLineOf(["stack", "ops", "--", "releases", "current"])).toBe(A);
      expect(await lastLineOf(["stack", "ops", "--", "lock", "status"])).toMatch(/not held|free|no lock/i);
      expectNoSecret(result.stdout, result.stderr);
    },
    DEPLOY_TIMEOUT_MS,
  );

  it(
    "stack status, logs and verify see the running release",
    async () => {
      const status = await stack.lhCi(["stack", "status", "--json"]);
      expect(status.code, status.stderr).toBe(0);
      const parsed = JSON.parse(status.stdout.trim().split("\n").at(-1) ?? "{}");
      expect(parsed).toMatchObject({ project: stack.name, running: A, current: A });
      expect(parsed.services.map((s: { Service: string }) => s.Service)).toEqual(
        expect.arrayContaining(["api", "web", "postgres", "redis", "migrate"]),
      );
      const logs = await stack.lhCi(["stack", "logs", "migrate", "--tail", "20"]);
      expect(logs.code, logs.stderr).toBe(0);
      expect(logs.stdout).toMatch(/migrate-1 +\| \S+ migrate: every migration applied/);
      const verified = await stack.lhCi(["stack", "verify", "--timeout", "30s"]);
      expect(verified.code, verified.stderr).toBe(0);
      expect(verified.stdout).toContain("staging: verified");
      expectNoSecret(status.stdout, status.stderr, logs.stdout, logs.stderr, verified.stdout, verified.stderr);
    },
    DEPLOY_TIMEOUT_MS,
  );

  it(
    "verify looks at the page with the browser-check service, saves its report and screenshot, and --no-browser skips it loudly",
    async () => {
      const reports = tempDir("lhstack-browser-reports-");
      const verified = await stack.lhCi(["stack", "verify", "--timeout", "30s", "--browser-report", reports]);
      expect(verified.code, verified.stderr).toBe(0);
      expect(verified.stdout).toMatch(
        /^browser check of http:\/\/web:3000\/ passed in \S+ \(1 requests, first byte 1ms/m,
      );
      const saved = JSON.parse(readFileSync(join(reports, A, "report.json"), "utf8"));
      expect(saved).toMatchObject({ ok: true, problems: [], screenshot: "screenshot.png" });
      // The check's container got none of the env file's variables.
      expect(saved.environment).not.toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^(DATABASE_URL|CLERK_SECRET_KEY|STRIPE_SECRET_KEY|POSTGRES_PASSWORD)$/),
        ]),
      );
      expect(
        readFileSync(join(reports, A, "screenshot.png"))
          .subarray(1, 4)
          .toString(),
      ).toBe("PNG");

      const skipped = await stack.lhCi(["stack", "verify", "--timeout", "30s", "--no-browser"]);
      expect(skipped.code, skipped.stderr).toBe(0);
      expect(skipped.stderr).toContain(
        `BROWSER CHECK SKIPPED (--no-browser): release ${A} was not looked at in a browser`,
      );
      expectNoSecret(verified.stdout, verified.stderr, JSON.stringify(saved));
    },
    DEPLOY_TIMEOUT_MS,
  );

  it(
    "a redeploy of the running release leaves the database alone: backup, check and migrate are skipped, verify runs",
    async () => {
      const result = await stack.lhCi(["deploy", "--release", A, "--json"]);
      expect(result.code, result.stderr).toBe(0);
      const deployed = report(result.stdout);
      const status = Object.fromEntries(deployed.steps.map((step) => [step.step, step.status]));
      expect(status).toMatchObject({
        changes: "ok",
        backup: "skipped",
        "migrations check": "skipped",
        migrate: "skipped",
        up: "ok",
        verify: "ok",
        record: "ok",
        unlock: "ok",
      });
      expect(deployed.steps.find((step) => step.step === "changes")?.detail).toContain("already the verified release");
      expect(deployed.steps.find((step) => step.step === "database role")?.detail).toBe(
        "nothing to do: lhstack_app exists, owns the database and its objects",
      );
      // The ops session sees the project directory on the host: nothing to copy again.
      expect(deployed.steps.find((step) => step.step === "load")?.detail).toContain(
        "project files on the engine's host already up to date",
      );
      // Every in-stack step ran in the one ops container of the session, which is gone afterwards.
      expect(result.stderr.match(/Starting the ops session/g)).toHaveLength(1);
      const left = await docker([
        "container",
        "ls",
        "--all",
        "--quiet",
        "--filter",
        `label=com.docker.compose.project=${stack.name}`,
        "--filter",
        "label=com.docker.compose.service=ops",
      ]);
      expect(left.stdout.trim()).toBe("");
      expectNoSecret(result.stdout, result.stderr);
    },
    DEPLOY_TIMEOUT_MS,
  );

  it(
    "a deploy while someone else holds the lock is refused at once, naming the holder; nothing changes",
    async () => {
      await stack.tagRelease(B);
      const held = await stack.lhCi(["stack", "ops", "--", "lock", "acquire", "--owner", "lhstack-someone-else"]);
      expect(held.code, held.stderr).toBe(0);
      const result = await stack.lhCi(["deploy", "--release", B, "--json"]);
      expect(result.code).toBe(1);
      const refused = report(result.stdout);
      expect(refused.steps.map((step) => step.step)).toEqual(["check config", "images", "lock"]);
      expect(refused.messages.join("\n")).toContain("lhstack-someone-else");
      expect(await lastLineOf(["stack", "ops", "--", "releases", "current"])).toBe(A);
      const status = await stack.lhCi(["stack", "status", "--json"]);
      expect(JSON.parse(status.stdout.trim()).running).toBe(A);
      expect((await stack.lhCi(["stack", "ops", "--", "lock", "release", "--force"])).code).toBe(0);
    },
    DEPLOY_TIMEOUT_MS,
  );

  it(
    "a release whose api never becomes healthy is rolled back to the previous verified one",
    async () => {
      await stack.tagRelease(BAD);
      const before = await serviceContainers();
      const result = await stack.lhCi(["deploy", "--release", BAD, "--json"]);
      expect(result.code).toBe(1);
      const failed = report(result.stdout);
      expect(failed).toMatchObject({
        ok: false,
        running: A,
        rolledBackTo: A,
        recorded: { commit: BAD, result: "rolled-back" },
      });
      expect(failed.steps.find((step) => step.step === "up")).toMatchObject({ status: "failed" });
      // Start-first: the new api and web never became healthy, so they were removed and A's were
      // never stopped (the same containers, running since before the deploy).
      expect(failed.steps.find((step) => step.step === "up")?.detail).toMatch(
        /^start-first rollout of bad0+3 stopped: the new container \S+-(api|web)-\d+ failed: its health check failed \(unhealthy\); removed the new .+; the running containers were never stopped and still serve$/,
      );
      expect(await serviceContainers()).toEqual(before);
      expect(failed.steps.find((step) => step.step === "rollback")).toMatchObject({ status: "ok" });
      expect(failed.messages.join("\n")).toMatch(/ROLLED BACK to a0+1; the database schema was left as migrated/);
      expect(await lastLineOf(["stack", "ops", "--", "releases", "current"])).toBe(A);
      expect(await lastLineOf(["stack", "ops", "--", "lock", "status"])).toMatch(/not held|free|no lock/i);
      expectNoSecret(result.stdout, result.stderr);
    },
    DEPLOY_TIMEOUT_MS,
  );

  it(
    "a healthy release whose page fails the browser check is rolled back, the page's problem in the report",
    async () => {
      await stack.tagRelease(PAGE_404);
      const result = await stack.lhCi(["deploy", "--release", PAGE_404, "--json"]);
      expect(result.code).toBe(1);
      const failed = report(result.stdout);
      expect(failed).toMatchObject({ ok: false, running: A, rolledBackTo: A, recorded: { result: "rolled-back" } });
      const verify = failed.steps.find((step) => step.step === "verify");
      expect(verify?.status).toBe("failed");
      expect(verify?.detail).toMatch(
        /^browser check of http:\/\/web:3000\/ FAILED in \S+: GET http:\/\/web:3000\/missing\.js answered 404 Not Found \(report: \S+report\.json, screenshot: \S+screenshot\.png\)$/,
      );
      // The rollback's verify looked at A's page, with this deploy's browser check image.
      expect(failed.steps.find((step) => step.step === "rollback")?.detail).toMatch(
        /is up and verified: .*browser check of http:\/\/web:3000\/ passed/,
      );
      const saved = JSON.parse(
        readFileSync(join(stack.sourceDir, "browser-check-reports", PAGE_404, "report.json"), "utf8"),
      );
      expect(saved).toMatchObject({ ok: false, problems: ["GET http://web:3000/missing.js answered 404 Not Found"] });
      expect(await lastLineOf(["stack", "ops", "--", "releases", "current"])).toBe(A);
      expectNoSecret(result.stdout, result.stderr);
    },
    DEPLOY_TIMEOUT_MS,
  );

  it(
    "stack backup copies the dump and its sidecar out; stack restore brings that state back",
    async () => {
      // As the application role, which backs up and restores (psql connects as the superuser).
      await stack.psql(
        "SET ROLE lhstack_app; CREATE TABLE lhstack_notes (text text); INSERT INTO lhstack_notes VALUES ('before backup')",
      );
      const out = tempDir("lhstack-test-backups-");
      const backup = await stack.lhCi(["stack", "backup", "--out", out]);
      expect(backup.code, backup.stderr).toBe(0);
      const path = backup.stdout.trim().split("\n").at(-1) ?? "";
      expect(path.startsWith(out)).toBe(true);
      expect(existsSync(`${path}.json`)).toBe(true);
      await stack.psql("INSERT INTO lhstack_notes VALUES ('after backup')");

      const refused = await stack.lhCi(["stack", "restore", path]);
      expect(refused.code).toBe(2);
      const restored = await stack.lhCi(["stack", "restore", path, "--yes"]);
      expect(restored.code, restored.stderr).toBe(0);
      expect(await stack.psql("SELECT string_agg(text, ',') FROM lhstack_notes")).toBe("before backup");
      expectNoSecret(backup.stdout, backup.stderr, restored.stdout, restored.stderr);
    },
    DEPLOY_TIMEOUT_MS,
  );

  it(
    "rollback after a second release brings the previous one back and says migrations are forward-only",
    async () => {
      await stack.tagRelease(B);
      // A changed project file: the digests differ, so deploy copies the folders again.
      writeFileSync(join(stack.sourceDir, "monitoring", "notes.txt"), "changed with B\n");
      const { result: deployed, samples } = await watchProxy(B, stack.lhCi(["deploy", "--release", B, "--json"]));
      expect(deployed.code, deployed.stderr).toBe(0);
      // B carries no migration A did not: backed up, but neither checked nor migrated again.
      const stepStatus = Object.fromEntries(report(deployed.stdout).steps.map((step) => [step.step, step.status]));
      expect(stepStatus).toMatchObject({ backup: "ok", "migrations check": "skipped", migrate: "skipped" });
      expect(deployed.stderr).toContain("Proxy: pinning ");
      expect(deployed.stderr).toMatch(/Proxy: routing api to \S+-api-\d+ only \(was \S+-api-\d+\)/);
      // Once a new container exists the proxy routes by address (no Docker DNS lookup), and it
      // names a new container only once that one is healthy.
      const during = samples.filter((sample) => sample.freshBefore.length > 0);
      expect(during.length).toBeGreaterThan(0);
      for (const sample of during) expect(sample.config).not.toContain('"dynamic_upstreams"');
      const newNames = [...(samples.at(-1)?.freshAfter.keys() ?? [])];
      expect(newNames).toHaveLength(2);
      const newDials = await dialsOf(newNames);
      for (const sample of samples) {
        for (const [name, status] of sample.freshAfter) {
          const dial = newDials.get(name) ?? "(none)";
          if (sample.config.includes(dial)) expect(status, `${name} routed while ${status}`).toContain("(healthy)");
        }
      }
      const switched = await proxyConfig();
      expect(switched.match(/"dial":"[^"]+"/g)?.sort()).toEqual([...newDials.values()].sort());
      expect(report(deployed.stdout).steps.find((step) => step.step === "up")?.detail).toBe(
        `start-first rollout of api, web (${B}): new containers healthy, old ones drained`,
      );
      // One container per service again, each of B.
      expect((await serviceContainers()).map((line) => line.split(" ").slice(1).join(" "))).toEqual([
        `api ${stack.name}/api:${B} running`,
        `web ${stack.name}/web:${B} running`,
      ]);
      expect(readFileSync(join(stack.projectDir, "monitoring", "notes.txt"), "utf8")).toBe("changed with B\n");
      // The containers the rollout started are B's, although compose labels a container started with
      // --no-deps with another hash than `config --hash` gives: a redeploy of B changes nothing.
      const again = await stack.lhCi(["deploy", "--release", B, "--json"]);
      expect(again.code, again.stderr).toBe(0);
      expect(report(again.stdout).steps.find((step) => step.step === "up")?.detail).toMatch(/^nothing to change: /);
      const result = await stack.lhCi(["rollback", "--json"]);
      expect(result.code, result.stderr).toBe(0);
      const rolledBack = report(result.stdout);
      expect(rolledBack).toMatchObject({ ok: true, running: A, rolledBackTo: A });
      expect(rolledBack.steps.find((step) => step.step === "up")?.detail).toBe(
        `start-first rollout of api, web (${A}): new containers healthy, old ones drained`,
      );
      expect(rolledBack.messages.join("\n")).toContain("migrations are forward-only");
      // The proxy was switched to A's new containers, and only them.
      const back = await proxyConfig();
      const current = await dialsOf([...(await releaseContainers(A)).keys()]);
      expect(current.size).toBe(2);
      expect(back.match(/"dial":"[^"]+"/g)?.sort()).toEqual([...current.values()].sort());
      expect(await lastLineOf(["stack", "ops", "--", "releases", "current"])).toBe(A);
      const status = await stack.lhCi(["stack", "status", "--json"]);
      expect(JSON.parse(status.stdout.trim()).running).toBe(A);
    },
    DEPLOY_TIMEOUT_MS,
  );

  it(
    "a new service container killed during the start-first rollout: the old ones never stopped, the deploy fails clearly, rolls back, frees the lock; a rerun succeeds",
    async () => {
      await stack.tagRelease(SLOW);
      // A's containers, which the rollback before started (a rollout): the rollback below keeps them.
      const before = await serviceContainers();
      const deploying = stack.lhCi(["deploy", "--release", SLOW, "--json"]);
      const api = await waitForContainer("api", `${stack.name}/api:${SLOW}`);
      expect((await docker(["kill", api])).code).toBe(0);
      const result = await deploying;
      expect(result.code).toBe(1);
      const failed = report(result.stdout);
      expect(failed.steps.find((step) => step.step === "up")).toMatchObject({ status: "failed" });
      expect(failed.steps.find((step) => step.step === "up")?.detail).toMatch(
        /^start-first rollout of 5100\S+ stopped: the new container \S+-api-\d+ failed: it is exited; removed the new .*; the running containers were never stopped and still serve$/,
      );
      expect(failed).toMatchObject({ running: A, rolledBackTo: A });
      expect(await serviceContainers()).toEqual(before);
      expect(await lastLineOf(["stack", "ops", "--", "lock", "status"])).toMatch(/not held|free|no lock/i);

      const rerun = await stack.lhCi(["deploy", "--release", SLOW, "--json"]);
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(report(rerun.stdout)).toMatchObject({ ok: true, running: SLOW });
    },
    DEPLOY_TIMEOUT_MS,
  );
});

/** The proxy's live configuration (JSON), from its admin API inside the container. */
async function proxyConfig(): Promise<string> {
  const found = await docker([
    "container",
    "ls",
    "--quiet",
    "--filter",
    `label=com.docker.compose.project=${stack.name}`,
    "--filter",
    "label=com.docker.compose.service=proxy",
  ]);
  const id = found.stdout.trim().split("\n")[0] ?? "";
  const read = await docker(["container", "exec", id, "wget", "-qO-", "http://127.0.0.1:2019/config/"]);
  expect(read.code, read.stderr).toBe(0);
  return read.stdout;
}

/** `name -> docker ps status` of the project's api and web containers of `release`. */
async function releaseContainers(release: string): Promise<Map<string, string>> {
  const listed = await docker([
    "container",
    "ls",
    "--filter",
    `label=com.docker.compose.project=${stack.name}`,
    "--format",
    "{{.Names}}\t{{.Image}}\t{{.Status}}",
  ]);
  const fresh = new Map<string, string>();
  for (const line of listed.stdout.split("\n")) {
    const [name = "", image = "", status = ""] = line.split("\t");
    if (image === `${stack.name}/api:${release}` || image === `${stack.name}/web:${release}`) fresh.set(name, status);
  }
  return fresh;
}

/** `name -> the "dial" the proxy's configuration names it by`: its address and its service's port. */
async function dialsOf(names: readonly string[]): Promise<Map<string, string>> {
  if (names.length === 0) return new Map();
  const inspected = await docker([
    "container",
    "inspect",
    "--format",
    "{{.Name}} {{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
    ...names,
  ]);
  const dials = new Map<string, string>();
  for (const line of inspected.stdout.trim().split("\n")) {
    const [slashed = "", address = ""] = line.trim().split(/\s+/);
    const name = slashed.replace(/^\//, "");
    dials.set(name, `"dial":"${address}:${name.includes("-api-") ? 4000 : 3000}"`);
  }
  return dials;
}

interface ProxySample {
  /** The containers of the release that existed before the configuration was read. */
  freshBefore: string[];
  config: string;
  /** Their status read after it (a container named in it must be healthy by then). */
  freshAfter: Map<string, string>;
}

/** While `during` runs: the proxy's live configuration, read again and again between two reads of the release's containers. */
async function watchProxy<T>(release: string, during: Promise<T>): Promise<{ result: T; samples: ProxySample[] }> {
  const samples: ProxySample[] = [];
  let done = false;
  const watching = (async () => {
    while (!done) {
      const freshBefore = [...(await releaseContainers(release)).keys()];
      const config = await proxyConfig();
      samples.push({ freshBefore, config, freshAfter: await releaseContainers(release) });
    }
  })();
  try {
    return { result: await during, samples };
  } finally {
    done = true;
    await watching;
  }
}

/** `ID service image state` of the project's api and web containers, sorted by service. */
async function serviceContainers(): Promise<string[]> {
  const listed = await docker([
    "container",
    "ls",
    "--all",
    "--filter",
    `label=com.docker.compose.project=${stack.name}`,
    "--format",
    '{{.ID}} {{.Label "com.docker.compose.service"}} {{.Image}} {{.State}}',
  ]);
  return listed.stdout
    .split("\n")
    .filter((line) => / (api|web) /.test(line))
    .sort((a, b) => a.split(" ")[1]?.localeCompare(b.split(" ")[1] ?? "") ?? 0);
}

/** The id of the project's container of `service` created from `image`, once there is one (within 3 minutes). */
async function waitForContainer(service: string, image: string): Promise<string> {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const found = await docker([
      "container",
      "ls",
      "--filter",
      `label=com.docker.compose.project=${stack.name}`,
      "--filter",
      `label=com.docker.compose.service=${service}`,
      "--format",
      "{{.ID}} {{.Image}}",
    ]);
    const line = found.stdout.split("\n").find((entry) => entry.endsWith(` ${image}`));
    if (line) return line.split(" ")[0] as string;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no ${service} container of ${image} started within 3 minutes`);
}
