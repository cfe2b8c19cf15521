import { type ChildProcess, spawn } from "node:child_process";
import { APP_ENTRY, type AppName } from "../../../apps/test/support/service-process.ts";
import { killOnExit } from "../../../ci/test/support/child-cleanup.ts";
import { freePort } from "../../../ci/test/support/redis-server.ts";
import { repoPath } from "./paths.ts";

/** A reference service started as a real process from its build (see apps/test/support/build.ts), the way its image runs it. */
export class ReferenceApp {
  readonly name: string;
  readonly port: number;
  readonly #child: ChildProcess;
  readonly #output: string[] = [];

  private constructor(name: string, port: number, child: ChildProcess) {
    this.name = name;
    this.port = port;
    this.#child = child;
    child.stdout?.on("data", (chunk: Buffer) => this.#output.push(chunk.toString("utf8")));
    child.stderr?.on("data", (chunk: Buffer) => this.#output.push(chunk.toString("utf8")));
  }

  static async start(name: AppName, env: Record<string, string>): Promise<ReferenceApp> {
    const port = await freePort();
    const child = spawn(process.execPath, ["--", APP_ENTRY[name]], {
      cwd: repoPath(`apps/${name}`),
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...env, PORT: String(port) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    killOnExit(child);
    const app = new ReferenceApp(name, port, child);
    await app.#waitUntilListening();
    return app;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The text of GET /metrics, after a few requests so the HTTP series have samples. */
  async scrape(): Promise<string> {
    for (const path of ["/health", "/ready", "/no-such-route"]) await (await fetch(this.url + path)).text();
    const response = await fetch(`${this.url}/metrics`);
    if (!response.ok) throw new Error(`${this.name} /metrics answered ${response.status}`);
    return response.text();
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  }

  async #waitUntilListening(): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (this.#child.exitCode !== null) break;
      try {
        if ((await fetch(`${this.url}/health`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await this.stop();
    throw new Error(`${this.name} did not answer /health on ${this.port}; its output:\n${this.#output.join("")}`);
  }
}
