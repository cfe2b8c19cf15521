import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, engineProblem, transcript } from "./support/docker.ts";
import { type E2EEnvironment, writeE2EEnvironment } from "./support/env-file.ts";
import { waitFor } from "./support/http.ts";
import {
  buildImage,
  IMAGE_SERVICES,
  imageFacts,
  imageName,
  ONE_SHOT_IMAGES,
  removeOtherReleases,
} from "./support/images.ts";
import { instantValue, targetHealth } from "./support/prometheus.ts";
import { ProxyClient } from "./support/proxy.ts";
import { E2EStack } from "./support/stack.ts";
import { phase, phaseSummary } from "./support/timing.ts";

// The staging stack for real: the six images built from their Dockerfiles, the real compose file
// (plus tests/e2e/compose.e2e.yml) brought up on the local Docker engine, and the toolkit run
// inside the stack's network as the pipeline runs it. The tests run in order and share the stack.

const RELEASE = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).trim();
const APPS = ["api", "web", "ai-gateway", "worker"];
const LONG_RUNNING = [
  ...APPS,
  "backup",
  "postgres",
  "redis",
  "prometheus",
  "alertmanager",
  "pushgateway",
  "postgres-exporter",
  "redis-exporter",
  "proxy",
];
const SCRAPE_JOBS = [...APPS, "postgres", "redis", "pushgateway", "prometheus", "alertmanager"];

let env: E2EEnvironment;
let stack: E2EStack;
let proxyClient: ProxyClient | undefined;

/** The proxy, over HTTPS with its internal CA (the CA survives down and up on its volume). */
async function proxy(): Promise<ProxyClient> {
  proxyClient ??= await ProxyClient.of(stack);
  return proxyClient;
}

interface Matter {
  id: string;
  title: string;
}

async function createMatter(title: string): Promise<Matter> {
  const client = await proxy();
  const reply = await client.postJson<{ matter: Matter }>(client.api("/v1/matters"), {
    title,
    clientName: "E2E Client",
  });
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body.matter;
}

async function matterStatus(id: string): Promise<number> {
  const client = await proxy();
  return (await client.getJson<unknown>(client.api(`/v1/matters/${id}`))).status;
}

beforeAll(async () => {
  const problem = await engineProblem();
  if (problem) throw new Error(`the e2e needs a Docker engine: ${problem}. Run tests/e2e/provision.sh (as root).`);
  env = await writeE2EEnvironment(RELEASE);
  stack = new E2EStack("lh-e2e-stack", env);
  // A run killed half-way leaves its project behind: start from nothing.
  await stack.down({ volumes: true });
});

afterAll(async () => {
  // A safety net when a test failed before the clean-up test: nothing of the project survives.
  if (stack && (await stack.leftovers()).length > 0) await stack.down({ volumes: true });
  await proxyClient?.close();
  env?.remove();
  console.log(`[e2e] phases of the stack e2e:\n${phaseSummary()}`);
});

describe("the staging stack on a real Docker engine", () => {
  it("builds all six images from the real Dockerfiles: non-root, a HEALTHCHECK but on one-shots, no secret in history or config", async () => {
    await removeOtherReleases(RELEASE);
    for (const service of IMAGE_SERVICES) {
      await phase(`build ${service}`, () => buildImage(service, RELEASE));
      const facts = await imageFacts(imageName(service, RELEASE));
      console.log(`[e2e] ${imageName(service, RELEASE)}: ${(facts.sizeBytes / 1024 / 1024).toFixed(0)} MiB`);
      expect(facts.user, `${service} runs as root`).not.toMatch(/^(|root|0)(:.*)?$/);
      if (ONE_SHOT_IMAGES.includes(service)) expect(facts.healthcheck, `${service} is a one-shot`).toEqual([]);
      else expect(facts.healthcheck.length, `${service} has no HEALTHCHECK`).toBeGreaterThan(0);
      expect(facts.historyAndConfig).not.toContain("BEGIN CERTIFICATE");
      for (const secret of env.canaries) expect(facts.historyAndConfig).not.toContain(secret);
    }
  });

  it("brings a fresh volume to healthy with a bare `up --wait`: the role one-shot, then migrate, then the apps", async () => {
    await phase("compose up --wait", () => stack.up());
    // The database-role one-shot created DATABASE_URL's role before migrate connected as it.
    const role = await stack.inspect<{ ExitCode: number; FinishedAt: string }>("database-role", ".State");
    expect(role.ExitCode).toBe(0);
    const roleLogs = await stack.compose(["logs", "--no-color", "database-role"]);
    expect(roleLogs.stdout).toMatch(
      /created role lawyers_hub_app \(LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE\), ownership of 2 objects moved to lawyers_hub_app, created database lawyers_hub_staging_restore_test for its restore tests/,
    );
    // The deploy's own role step (through the postgres container) then finds nothing to do.
    expect(await phase("database role", () => stack.databaseRole())).toBe(
      "nothing to do: lawyers_hub_app exists, owns the database and its objects",
    );
    for (const service of LONG_RUNNING) {
      const state = await stack.inspect<{ Status: string; Health?: { Status: string } }>(service, ".State");
      expect(`${service}: ${state.Status}/${state.Health?.Status}`).toBe(`${service}: running/healthy`);
    }
    const migrate = await stack.inspect<{ ExitCode: number; StartedAt: string; FinishedAt: string }>(
      "migrate",
      ".State",
    );
    expect(migrate.ExitCode).toBe(0);
    expect(Date.parse(migrate.StartedAt), "migrate started before the role one-shot finished").toBeGreaterThanOrEqual(
      Date.parse(role.FinishedAt),
    );
    for (const app of APPS) {
      const startedAt = await stack.inspect<string>(app, ".State.StartedAt");
      expect(Date.parse(startedAt), `${app} started before migrate finished`).toBeGreaterThanOrEqual(
        Date.parse(migrate.FinishedAt),
      );
    }
  });

  it("passes `lh-ci verify` inside the stack's network", async () => {
    const result = await phase("lh-ci verify", () => stack.lhCi(["verify", "--timeout", "60s"]));
    expect(result.stdout).toMatch(/all 5 checks passed/);
  });

  it("serves the web page and the api only through the proxy, over HTTPS with its CA; every asset the page names answers 200", async () => {
    const client = await proxy();
    const page = await client.get(client.web("/"));
    expect(page.status).toBe(200);
    const html = page.text;
    expect(html).toMatch(/data-testid="api-status" data-api-status="ready"/);
    const assets = [...new Set([...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((match) => match[1] ?? ""))];
    expect(assets.some((path) => path.startsWith("/_next/static/") && path.endsWith(".js"))).toBe(true);
    for (const path of assets) {
      const asset = await client.get(client.web(path));
      expect(`${path}: ${asset.status}`).toBe(`${path}: 200`);
    }
    expect((await client.getJson<{ status: string }>(client.api("/ready"))).body.status).toBe("ready");
    // The apps' metrics stay inside the stack; plain HTTP is redirected to HTTPS.
    expect((await client.get(client.api("/metrics"))).status).toBe(404);
    expect((await client.get(client.web("/metrics"))).status).toBe(404);
    const plain = await fetch(`http://localhost:${env.ports.http}/`, {
      redirect: "manual",
      signal: AbortSignal.timeout(10_000),
    });
    expect(plain.status).toBe(308);
    expect(plain.headers.get("location")).toMatch(/^https:\/\/localhost\//);
    // A client that does not trust the proxy's CA is refused: the certificate is the CA's, not a public one.
    await expect(fetch(client.web("/"), { signal: AbortSignal.timeout(10_000) })).rejects.toThrow();
    // Only the proxy publishes ports of the apps.
    for (const app of APPS)
      expect(await stack.inspect<Record<string, unknown>>(app, ".HostConfig.PortBindings"), app).toEqual({});
  });

  it("backs up into the backups volume and restores it: the database returns to its state at backup time", async () => {
    const before = await createMatter("written before the backup");
    const backup = await phase("lh-ci backup", () => stack.lhCi(["backup"]));
    const file = /Backup written: (\/backups\/\S+\.sql)/.exec(backup.output)?.[1];
    expect(file, backup.output).toBeDefined();
    const listing = await stack.opsShell(`ls -ln -- '${file}' '${file}.json'`);
    expect(listing.stdout).toMatch(/^-rw------- .*\.sql$/m);
    expect(listing.stdout).toMatch(/^-rw------- .*\.sql\.json$/m);

    const after = await createMatter("written after the backup");
    const restore = await phase("lh-ci restore", () => stack.lhCi(["restore", file as string, "--yes"]));
    expect(restore.output).toMatch(/Safety backup: \/backups\//);
    // The restore ended the api's sessions; its pool reconnects on the next request.
    await waitFor(
      "the api to answer after the restore",
      async () => ((await matterStatus(before.id)) === 200 ? true : undefined),
      30_000,
    );
    expect(await matterStatus(after.id)).toBe(404);
  });

  it("has Prometheus scraping every target, and `up` of the api drops to 0 when its container stops", async () => {
    const health = await phase("every scrape target up", () =>
      waitFor(
        "every Prometheus target to be up",
        async () => {
          const byJob = await targetHealth(env.ports.prometheus);
          return SCRAPE_JOBS.every((job) => byJob[job] === "up") ? byJob : undefined;
        },
        90_000,
      ),
    );
    expect(Object.keys(health).sort()).toEqual([...SCRAPE_JOBS].sort());
    await stack.compose(["stop", "api"]);
    await phase("up{job=api} drops to 0", () =>
      waitFor(
        'up{job="api"} == 0',
        async () => ((await instantValue(env.ports.prometheus, 'up{job="api"}')) === 0 ? true : undefined),
        90_000,
      ),
    );
    await phase("api back", () => stack.up());
  });

  it("keeps the data across `docker compose down` (volumes kept) and `up`", async () => {
    const kept = await createMatter("survives down and up");
    await phase("compose down (volumes kept)", () => stack.down({ volumes: false }));
    await phase("compose up again", () => stack.up());
    expect(await matterStatus(kept.id)).toBe(200);
  });

  it("leaves nothing behind and never prints a secret", async () => {
    const logs = await stack.logs();
    expect(logs.stdout.length).toBeGreaterThan(0);
    await phase("compose down --volumes", () => stack.down({ volumes: true }));
    expect(await stack.leftovers()).toEqual([]);
    // The images stay: the next run starts from the build cache.
    await docker(["image", "inspect", imageName("api", RELEASE)]);
    const everything = transcript.join("\n");
    for (const secret of env.canaries) expect(everything.includes(secret), "a canary secret was printed").toBe(false);
  });
});
