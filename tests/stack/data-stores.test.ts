import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { killOnExit, stopChild } from "../../ci/test/support/child-cleanup.ts";
import { freePort } from "../../ci/test/support/redis-server.ts";
import { TEST_POSTGRES } from "../../ci/test/support/service-addresses.ts";
import { tempDir } from "../../ci/test/support/temp-dir.ts";
import { environmentOf, interpolate, loadCompose } from "./support/compose-file.ts";
import { runTool } from "./support/run-tool.ts";

/**
 * Runs the compose file's own Redis start command and health check with the machine's
 * redis-server (with the arguments the image's entrypoint adds, plus a private port and
 * directory), to prove
 * that the password reaches Redis without appearing on its command line and that the health
 * check passes with and without a password.
 */

const redis = loadCompose().services.redis;
const children: ChildProcess[] = [];
const scratch = tempDir("lh-stack-redis-");

afterAll(() => Promise.all(children.map((child) => stopChild(child))));

function startScript(port: number, dir: string): string {
  const command = redis?.command;
  if (!Array.isArray(command) || command[0] !== "sh" || command[1] !== "-c")
    throw new Error("unexpected redis command");
  const script = interpolate(command[2] ?? "", {});
  expect(script).toContain("exec docker-entrypoint.sh redis-server ");
  // What the redis image's entrypoint runs: redis-server --protected-mode no <the arguments>.
  return script.replace(
    "docker-entrypoint.sh redis-server ",
    `redis-server --protected-mode no --port ${port} --bind 127.0.0.1 --dir ${dir} `,
  );
}

async function startRedis(password: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn("sh", ["-c", startScript(port, mkdtempSync(join(scratch, "data-")))], {
    env: { PATH: process.env.PATH ?? "", REDIS_PASSWORD: password },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  killOnExit(child);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("redis did not start")), 10_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", (code) => reject(new Error(`redis exited with ${code}`)));
  });
  return { port, child };
}

/** The compose health check, pointed at the private port, with the service's REDISCLI_AUTH. */
async function healthCheck(port: number, password: string) {
  const test = redis?.healthcheck?.test;
  expect(Array.isArray(test) && test[0]).toBe("CMD-SHELL");
  const shell = String((test as string[])[1]).replace("redis-cli", `redis-cli -p ${port}`);
  const auth = interpolate(environmentOf(redis ?? {}).REDISCLI_AUTH ?? "", { REDIS_PASSWORD: password });
  return runTool("sh", ["-c", `REDISCLI_AUTH='${auth}' ${shell}`]);
}

describe("the Redis service's start command", () => {
  it("requires the password from REDIS_PASSWORD, keeps it off the command line, and turns AOF on", async () => {
    const password = "0123456789abcdef0123456789abcdef";
    const { port, child } = await startRedis(password);
    const anonymous = await runTool("redis-cli", ["-p", String(port), "ping"]);
    expect(anonymous.output).toContain("NOAUTH");
    const authed = await runTool("redis-cli", ["-p", String(port), "--no-auth-warning", "-a", password, "ping"]);
    expect(authed.stdout.trim()).toBe("PONG");
    const aof = await runTool("redis-cli", [
      "-p",
      String(port),
      "--no-auth-warning",
      "-a",
      password,
      "config",
      "get",
      "appendonly",
    ]);
    expect(aof.stdout).toContain("yes");
    const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, "utf8");
    expect(cmdline).toContain("redis-server");
    expect(cmdline).not.toContain(password);
    expect((await healthCheck(port, password)).code).toBe(0);
    expect((await healthCheck(port, "wrong-password")).code).not.toBe(0);
  });

  it("runs without authentication when REDIS_PASSWORD is empty, and the health check passes", async () => {
    const { port } = await startRedis("");
    const ping = await runTool("redis-cli", ["-p", String(port), "ping"]);
    expect(ping.stdout.trim()).toBe("PONG");
    expect((await healthCheck(port, "")).code).toBe(0);
  });
});

describe("the PostgreSQL service's health check", () => {
  const test = loadCompose().services.postgres?.healthcheck?.test;
  /** The CMD-SHELL line as the container's shell receives it ($$ unescaped by compose). */
  const shell = Array.isArray(test) && test[0] === "CMD-SHELL" ? interpolate(test[1] ?? "", {}) : "";

  it("passes against a running PostgreSQL with the container's own POSTGRES_USER and POSTGRES_DB", async () => {
    // Over TCP (-h 127.0.0.1), never the socket: tests/stack/postgres-first-start.engine.test.ts says why.
    expect(shell).toMatch(/pg_isready -q -h 127\.0\.0\.1 -U "\$\{POSTGRES_USER\}" -d "\$\{POSTGRES_DB\}"/);
    const result = await runTool("env", [
      "PGHOST=/nonexistent",
      `PGPORT=${TEST_POSTGRES.port}`,
      "POSTGRES_USER=postgres",
      "POSTGRES_DB=postgres",
      "sh",
      "-c",
      // In its container the server is on the loopback; here it is the shared one (TEST_POSTGRES).
      shell.replace("-h 127.0.0.1", `-h ${TEST_POSTGRES.host}`),
    ]);
    expect(result.code, result.output).toBe(0);
  });

  it("fails when nothing listens", async () => {
    const port = await freePort();
    const result = await runTool("env", [
      `PGPORT=${port}`,
      "POSTGRES_USER=postgres",
      "POSTGRES_DB=postgres",
      "sh",
      "-c",
      shell,
    ]);
    expect(result.code).not.toBe(0);
  });
});
