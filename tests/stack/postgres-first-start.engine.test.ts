/**
 * The compose file's PostgreSQL health check on the real engine, on a fresh data directory. There
 * the image's entrypoint first runs a temporary server on the unix socket only (the database is
 * created and the init scripts run), and only then the real one, which listens on TCP. A probe
 * of the socket is healthy during that window, and whatever starts next (the deploy's backup, the
 * migrations) gets "connection refused". The stand-in of tests/e2e/stand-ins/postgres holds its
 * init step for a few seconds, so the window is there on every first start; the probe runs every
 * second here (the compose file's interval is 10 s: a slow first start on a real host is the same).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BASE_IMAGE, docker, requireEngine, uniqueName } from "../../ci/test/stack/support/engine.ts";
import { interpolate, loadCompose } from "./support/compose-file.ts";
import { repoPath } from "./support/paths.ts";

requireEngine([BASE_IMAGE]);

const name = uniqueName();
const image = `${name}/postgres:15`;
const container = `${name}-postgres`;
const user = "lawyers_hub";
const database = "lawyers_hub_staging";
const password = `pw${name.replace(/-/g, "")}`;

/** The CMD-SHELL line of the compose file's health check, as the container's shell receives it. */
function composeHealthCheck(): string {
  const test = loadCompose().services.postgres?.healthcheck?.test;
  if (!Array.isArray(test) || test[0] !== "CMD-SHELL") throw new Error("postgres health check is not CMD-SHELL");
  return interpolate(test[1] ?? "", {});
}

async function exec(args: string[]): Promise<boolean> {
  return (await docker(["exec", container, ...args], 30_000)).code === 0;
}

async function healthStatus(): Promise<string> {
  return (await docker(["inspect", "--format", "{{.State.Health.Status}}", container])).stdout.trim();
}

interface Sample {
  health: string;
  socket: boolean;
  tcp: boolean;
}

beforeAll(async () => {
  // This checkout's stand-in, under a name of its own: the shared lh-e2e/postgres:15 is left alone.
  const built = await docker(["build", "--quiet", "--tag", image, repoPath("tests/e2e/stand-ins/postgres")], 600_000);
  if (built.code !== 0) throw new Error(`building the postgres stand-in failed:\n${built.stderr.slice(-3000)}`);
}, 600_000);

afterAll(async () => {
  await docker(["rm", "--force", "--volumes", container]);
  await docker(["image", "rm", "--force", image]);
}, 120_000);

describe("the PostgreSQL health check on a fresh data directory", () => {
  it("stays unhealthy while only the init server's unix socket answers, and is healthy once TCP connections work", async () => {
    const started = await docker([
      "run",
      "--detach",
      "--name",
      container,
      "--env",
      `POSTGRES_USER=${user}`,
      "--env",
      `POSTGRES_PASSWORD=${password}`,
      "--env",
      `POSTGRES_DB=${database}`,
      "--health-cmd",
      composeHealthCheck(),
      "--health-interval",
      "1s",
      "--health-timeout",
      "5s",
      "--health-retries",
      "60",
      image,
    ]);
    expect(started.code, started.stderr).toBe(0);

    // Health first, then the listeners: a healthy status must already mean TCP works.
    const samples: Sample[] = [];
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const health = await healthStatus();
      const tcp = await exec(["pg_isready", "-q", "-h", "127.0.0.1"]);
      const socket = await exec(["pg_isready", "-q"]);
      samples.push({ health, socket, tcp });
      if (health === "healthy") break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const logs = (await docker(["logs", container])).stdout;

    // The stand-in did reproduce the window: the socket answered while TCP did not.
    expect(
      samples.some((sample) => sample.socket && !sample.tcp),
      JSON.stringify(samples),
    ).toBe(true);
    expect(logs).toContain("init step on a unix-socket-only server");
    // And no sample was healthy without a TCP listener.
    expect(
      samples.filter((sample) => sample.health === "healthy" && !sample.tcp),
      JSON.stringify(samples),
    ).toEqual([]);
    expect(samples.at(-1)?.health, JSON.stringify(samples)).toBe("healthy");

    // What the deploy's backup does next: a password connection over TCP, at once.
    const query = await docker([
      "exec",
      "--env",
      `PGPASSWORD=${password}`,
      container,
      "psql",
      "-h",
      "127.0.0.1",
      "-U",
      user,
      "-d",
      database,
      "-tAc",
      "select 1",
    ]);
    expect(query.code, query.stderr).toBe(0);
    expect(query.stdout.trim()).toBe("1");
  }, 120_000);
});
