import "reflect-metadata";
import { Writable } from "node:stream";
import { createJsonLogger, type JsonLogger, secretValues } from "@lawyers-hub/service-kit";
import type { DynamicModule, INestApplication } from "@nestjs/common";
import { Test } from "@nestjs/testing";
import { Logger } from "nestjs-pino";
import { afterAll } from "vitest";

/** A JSON logger whose lines a test reads back, with the same secret redaction as in production. */
export class CapturedLogs {
  readonly lines: string[] = [];
  readonly logger: JsonLogger;

  constructor(service: string, env: Record<string, string | undefined> = {}) {
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
        done();
      },
    });
    this.logger = createJsonLogger({ service, level: "debug", secrets: secretValues(env), destination: sink });
  }

  /** Every line parsed: each must be one JSON object. */
  entries(): Array<Record<string, unknown>> {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  get text(): string {
    return this.lines.join("\n");
  }
}

export interface RunningApp {
  app: INestApplication;
  url: string;
  /** app.close(): Nest's shutdown hooks, as SIGTERM runs them; once. */
  close(): Promise<void>;
  get(path: string, init?: RequestInit): Promise<Response>;
  post(path: string, body: unknown): Promise<Response>;
}

/**
 * Compiles a service's root module with @nestjs/testing and serves it on a free port of
 * 127.0.0.1, with its real providers (real PostgreSQL, Redis). Closed after the test file.
 */
export async function serveNestApp(root: DynamicModule): Promise<RunningApp> {
  const moduleRef = await Test.createTestingModule({ imports: [root] }).compile();
  const app = moduleRef.createNestApplication({ bufferLogs: true });
  app.useLogger(app.get(Logger));
  await app.listen(0, "127.0.0.1");
  const url = (await app.getUrl()).replace("[::1]", "127.0.0.1");
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= app.close();
    return closing;
  };
  afterAll(close);
  return {
    app,
    url,
    close,
    get: (path, init) => fetch(`${url}${path}`, init),
    post: (path, body) =>
      fetch(`${url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
  };
}
