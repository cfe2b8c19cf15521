import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { afterAll } from "vitest";
import { killOnExit, stopChild } from "./child-cleanup.ts";

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** Stopped by one afterAll registered at import time (see createTestDatabase for why). */
const started: PrivateRedis[] = [];
afterAll(() => Promise.all(started.splice(0).map((redis) => redis.stop())));

/**
 * A private Redis 7 server on its own port, which a test may stop and start again (to prove a
 * service notices Redis going away) without disturbing the machine's shared Redis.
 */
export class PrivateRedis {
  readonly port: number;
  #process: ChildProcess | undefined;

  private constructor(port: number) {
    this.port = port;
  }

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    started.push(redis);
    return redis;
  }

  async start(): Promise<void> {
    const child = spawn(
      "redis-server",
      ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    this.#process = child;
    killOnExit(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server on ${this.port} did not start`)), 10_000);
      child.stdout?.on("data", (chunk: Buffer) => {
        if (chunk.toString().includes("Ready to accept connections")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}`));
      });
    });
  }

  async stop(): Promise<void> {
    const child = this.#process;
    this.#process = undefined;
    if (child) await stopChild(child);
  }
}
