/**
 * The miniature stack of fixtures/mini-stack on the real engine, under a name of its own
 * (`lhstack-test-<random>`: project, image prefix), with canary secrets in its env file. Removed
 * (containers, networks, volumes, images) when the test file ends.
 */
import { chmodSync, cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";
import { type CliResult, runCli } from "../../support/run-cli.ts";
import { runProcess } from "../../support/run-process.ts";
import { tempDir } from "../../support/temp-dir.ts";
import {
  buildOpsImage,
  CADDY_IMAGE,
  docker,
  NODE_IMAGE,
  POSTGRES_IMAGE,
  REDIS_IMAGE,
  removeImagesAfterAll,
  uniqueName,
} from "./engine.ts";

const FIXTURE = fileURLToPath(new URL("../fixtures/mini-stack", import.meta.url));
const MIGRATIONS = fileURLToPath(new URL("../../../../apps/api/prisma/migrations", import.meta.url));

export interface MiniStack {
  name: string;
  /** Where lh-ci runs (compose/ and monitoring/ are read here). */
  sourceDir: string;
  /** Where deploy copies them, as a remote engine's host would have them. */
  projectDir: string;
  /** Values that must never appear in any output. */
  canaries: string[];
  /** Builds this checkout's ops image once (under the stack's prefix). */
  buildOps(): Promise<void>;
  /** Tags the images of a release (the e2e's Node base, and the ops image built here). */
  tagRelease(release: string): Promise<void>;
  lhCi(args: string[], timeoutMs?: number): Promise<CliResult>;
  /** `psql` in the stack's postgres container (the test's own access to the data). */
  psql(sql: string): Promise<string>;
}

export function miniStack(): MiniStack {
  const name = uniqueName();
  const sourceDir = tempDir("lhstack-test-src-");
  const projectDir = tempDir("lhstack-test-host-");
  // As Docker creates /var/lib/lawyers-hub/<env> for deploy: readable by the ops image's user, so that
  // the ops session can compare the project files there (a private directory is copied every time).
  chmodSync(projectDir, 0o755);
  cpSync(FIXTURE, sourceDir, { recursive: true });
  cpSync(MIGRATIONS, join(sourceDir, "monitoring", "migrations"), { recursive: true });
  const password = `pw-${name}-canary`;
  const clerk = `sk_test_${name.replace(/-/g, "")}clerkcanary`;
  const stripe = `sk_test_${name.replace(/-/g, "")}stripecanary`;
  const envFile = join(sourceDir, ".env.staging");
  writeFileSync(
    envFile,
    [
      // The application role, which the deploy's role step creates; lhstack is the superuser.
      `DATABASE_URL=postgresql://lhstack_app:app-${password}@postgres:5432/lhstack`,
      "REDIS_HOST=redis",
      "REDIS_PORT=6379",
      `CLERK_SECRET_KEY=${clerk}`,
      `STRIPE_SECRET_KEY=${stripe}`,
      "API_URL=http://api:4000",
      "WEB_URL=http://web:3000",
      "POSTGRES_USER=lhstack",
      `POSTGRES_PASSWORD=${password}`,
      "POSTGRES_DB=lhstack",
      // What the real stack also requires (env check refuses a configuration without them).
      "GRAFANA_ADMIN_USER=admin",
      `GRAFANA_ADMIN_PASSWORD=grafana-${name}-canary`,
      `ALERTMANAGER_CRITICAL_WEBHOOK_URL=http://127.0.0.1:9/critical-${name}-canary`,
      `ALERTMANAGER_WARNING_WEBHOOK_URL=http://127.0.0.1:9/warning-${name}-canary`,
      `LHSTACK_POSTGRES_IMAGE=${POSTGRES_IMAGE}`,
      `LHSTACK_REDIS_IMAGE=${REDIS_IMAGE}`,
      `LHSTACK_CADDY_IMAGE=${CADDY_IMAGE}`,
      "",
    ].join("\n"),
  );
  const common = ["--env-file", envFile, "--project-name", name, "--image-prefix", name, "--project-dir", projectDir];
  const composeArgsFull = [
    "compose",
    "--file",
    join(sourceDir, "compose", "docker-compose.staging.yml"),
    "--project-directory",
    join(projectDir, "compose"),
    "--project-name",
    name,
  ];

  removeImagesAfterAll(name);
  afterAll(async () => {
    await runDocker([
      ...composeArgsFull,
      "--env-file",
      envFile,
      "--profile",
      "ops",
      "--profile",
      "browser",
      "down",
      "--volumes",
      "--remove-orphans",
      "--timeout",
      "1",
    ]);
    // Whatever down could not remove (a command still running when a test timed out), by label.
    const label = `label=com.docker.compose.project=${name}`;
    for (const kind of ["container", "volume", "network"] as const) {
      const all = kind === "container" ? ["--all"] : [];
      const listed = await docker([kind, "ls", ...all, "--quiet", "--filter", label]);
      const ids = listed.stdout.split("\n").filter((id) => id.trim() !== "");
      if (ids.length > 0) await docker([kind, "rm", ...(kind === "network" ? [] : ["--force"]), ...ids]);
    }
  }, 120_000);

  async function runDocker(args: string[]) {
    return await runProcess("docker", args, {
      env: { ...process.env, RELEASE: "none", IMAGE_PREFIX: name },
      timeoutMs: 120_000,
    });
  }

  return {
    name,
    sourceDir,
    projectDir,
    canaries: [password, clerk, stripe],
    async buildOps() {
      await buildOpsImage(`${name}/ops-build:latest`);
    },
    async tagRelease(release) {
      for (const service of ["api", "web", "ai-gateway", "worker", "browser-check"]) {
        await docker(["tag", NODE_IMAGE, `${name}/${service}:${release}`]);
      }
      await docker(["tag", `${name}/ops-build:latest`, `${name}/ops:${release}`]);
    },
    async lhCi(args, timeoutMs = 300_000) {
      const [first, second] = args;
      const words = first === "stack" ? 2 : 1;
      const rest = args.slice(words);
      const separator = rest.indexOf("--");
      const options = separator < 0 ? rest : rest.slice(0, separator);
      const passed = separator < 0 ? [] : rest.slice(separator);
      const command = first === "stack" ? [first, second ?? ""] : [first ?? ""];
      return await runCli([...command, ...options, ...common, ...passed], {
        cwd: sourceDir,
        env: process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {},
        timeoutMs,
      });
    },
    async psql(sql) {
      const result = await runDocker([
        ...composeArgsFull,
        "--env-file",
        envFile,
        "exec",
        "-T",
        "postgres",
        "psql",
        "-U",
        "lhstack",
        "-d",
        "lhstack",
        "-tA",
        "-v",
        "ON_ERROR_STOP=1",
        "-c",
        sql,
      ]);
      if (result.code !== 0) throw new Error(`psql failed: ${result.stderr}`);
      return result.stdout.trim();
    },
  };
}
