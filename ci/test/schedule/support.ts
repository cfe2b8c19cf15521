import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll } from "vitest";
import type { Clock } from "../../src/schedule/clock.ts";

/** A clock the test moves: waiting for a time jumps to it at once, so a day of schedule runs in milliseconds. */
export class FakeClock implements Clock {
  #now: number;
  readonly waits: string[] = [];

  constructor(iso: string) {
    this.#now = Date.parse(iso);
  }

  now(): Date {
    return new Date(this.#now);
  }

  async waitUntil(until: Date, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.waits.push(until.toISOString());
    this.#now = Math.max(this.#now, until.getTime());
  }
}

export interface Push {
  method: string;
  url: string;
  body: string;
}

/** A real HTTP server standing in for the Pushgateway: records every push, answers 200. */
export async function recordingPushgateway(): Promise<{ url: string; pushes: Push[] }> {
  const pushes: Push[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      pushes.push({
        method: request.method ?? "",
        url: request.url ?? "",
        body: Buffer.concat(chunks).toString("utf8"),
      });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, pushes };
}

/** The value of one sample in a pushed body. */
export function sample(body: string, name: string): number | undefined {
  const match = new RegExp(`^${name} (\\S+)$`, "m").exec(body);
  return match ? Number(match[1]) : undefined;
}
