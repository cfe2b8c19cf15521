import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";
import { killOnExit } from "../../../ci/test/support/child-cleanup.ts";
import { freePort } from "../../../ci/test/support/redis-server.ts";

export type AppName = "api" | "web" | "ai-gateway" | "worker";

/**
 * How each image starts its service, run from the service's folder after `npm run build` (see
 * support/build.ts): the NestJS services' compiled main, the web's Next.js standalone server.
 */
export const APP_ENTRY: Record<AppName, string> = {
  api: "dist/main.js",
  "ai-gateway": "dist/main.js",
  worker: "dist/main.js",
  web: ".next/standalone/apps/web/server.js",
};

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One service running as a real process, started as its image starts it. */
export class ServiceProcess {
  readonly app: AppName;
  readonly port: number;
  readonly url: string;
  readonly exited: Promise<Exit>;
  readonly #child: ChildProcess;
  #stdout = "";
  #stderr = "";

  constructor(app: AppName, port: number, child: ChildProcess) {
    this.app = app;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.#child = child;
    child.stdout?.on("data", (chunk: Buffer) => {
      this.#stdout += chunk.toString("utf8");
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      this.#stderr += chunk.toString("utf8");
    });
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  }

  get stdout(): string {
    return this.#stdout;
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** The JSON log lines written so far (every stdout line must be one). */
  logs(): Array<Record<string, unknown>> {
    return this.#stdout
      .split("\n")
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Sends a signal and waits for the process to exit. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<Exit> {
    if (this.running) this.#child.kill(signal);
    return this.exited;
  }

  signal(signal: NodeJS.Signals): void {
    this.#child.kill(signal);
  }

  get(path: string, init?: RequestInit): Promise<Response> {
    return fetch(`${this.url}${path}`, init);
  }

  post(path: string, body: unknown): Promise<Response> {
    return fetch(`${this.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  }
}

function appDir(app: AppName): string {
  return fileURLToPath(new URL(`../../${app}/`, import.meta.url));
}

/** The web runs as its image runs it: its SIGTERM is drain-on-sigterm.js's (apps/Dockerfile). */
const WEB_DRAIN = fileURLToPath(new URL("../../../packages/service-kit/dist/drain-on-sigterm.js", import.meta.url));

function spawnApp(app: AppName, env: Record<string, string>): ChildProcess {
  const web = app === "web";
  const child = spawn(process.execPath, [...(web ? ["--import", WEB_DRAIN] : []), APP_ENTRY[app]], {
    cwd: appDir(app),
    // Nothing leaks in from the test runner's environment but PATH and HOME.
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/root",
      ...(web ? { NEXT_MANUAL_SIG_HANDLE: "1" } : {}),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  killOnExit(child);
  return child;
}

/**
 * Starts a service on a free port and waits until its /health answers 200. Killed after the test
 * file if a test left it running.
 */
export async function startApp(app: AppName, env: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort();
  const service = new ServiceProcess(app, port, spawnApp(app, { PORT: String(port), ...env }));
  afterAll(async () => {
    if (service.running) await service.stop("SIGKILL");
  });
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (!service.running) {
      throw new Error(`${app} exited before answering /health:\n${service.stdout}${service.stderr}`);
    }
    try {
      if ((await service.get("/health")).status === 200) return service;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await service.stop("SIGKILL");
  throw new Error(`${app} did not answer /health within 20 s:\n${service.stdout}${service.stderr}`);
}

/** Runs a service that is expected to stop by itself (bad configuration), with its output. */
export async function runAppToExit(
  app: AppName,
  env: Record<string, string>,
): Promise<Exit & { stdout: string; stderr: string }> {
  const service = new ServiceProcess(app, 0, spawnApp(app, env));
  const timer = setTimeout(() => service.signal("SIGKILL"), 20_000);
  const exit = await service.exited;
  clearTimeout(timer);
  return { ...exit, stdout: service.stdout, stderr: service.stderr };
}
