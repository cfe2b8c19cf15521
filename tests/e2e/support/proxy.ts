import { Agent, fetch } from "undici";
import { waitFor } from "./http.ts";
import type { E2EStack } from "./stack.ts";

/** Where Caddy keeps its internal CA's root certificate (XDG_DATA_HOME=/data, as in the official image). */
const ROOT_CERTIFICATE = "/data/caddy/pki/authorities/local/root.crt";

/**
 * HTTPS to the stack's one entry point, the `proxy` service, as a browser of staging would speak
 * it: to https://localhost:<published port>, trusting only the proxy's own internal CA, whose
 * root certificate is copied out of the container (never the machine's trust store).
 */
export class ProxyClient {
  readonly origin: string;
  readonly ca: string;
  readonly agent: Agent;

  constructor(port: number, ca: string, connections = 64) {
    this.origin = `https://localhost:${port}`;
    this.ca = ca;
    this.agent = new Agent({ connect: { ca, rejectUnauthorized: true }, connections });
  }

  /** Waits for the proxy to have made its CA (on its first start), then trusts it. */
  static async of(stack: E2EStack): Promise<ProxyClient> {
    const ca = await waitFor(
      "the proxy's internal CA root certificate",
      async () => {
        const read = await stack.compose(["exec", "-T", "proxy", "cat", ROOT_CERTIFICATE], { allowFailure: true });
        return read.code === 0 && read.stdout.includes("BEGIN CERTIFICATE") ? read.stdout : undefined;
      },
      60_000,
    );
    return new ProxyClient(stack.env.ports.https, ca);
  }

  /** The api's path through the proxy: it is served under /api/. */
  api(path: string): string {
    return `${this.origin}/api${path}`;
  }

  web(path: string): string {
    return `${this.origin}${path}`;
  }

  async get(url: string, timeoutMs = 10_000): Promise<{ status: number; text: string }> {
    const response = await fetch(url, { dispatcher: this.agent, signal: AbortSignal.timeout(timeoutMs) });
    return { status: response.status, text: await response.text() };
  }

  async getJson<T>(url: string, timeoutMs = 5_000): Promise<{ status: number; body: T }> {
    const response = await fetch(url, { dispatcher: this.agent, signal: AbortSignal.timeout(timeoutMs) });
    return { status: response.status, body: (await response.json()) as T };
  }

  async postJson<T>(url: string, payload: unknown, timeoutMs = 5_000): Promise<{ status: number; body: T }> {
    const response = await fetch(url, {
      dispatcher: this.agent,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: response.status, body: (await response.json()) as T };
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
