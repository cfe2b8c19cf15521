import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll } from "vitest";

export type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** A real HTTP server whose routes each test sets; it counts the requests each path received. */
export interface PageServer {
  origin: string;
  routes: Map<string, Handler>;
  hits: Map<string, number>;
}

/** Answers `body` with `type`. */
export function send(type: string, body: string | Buffer, status = 200): Handler {
  return (_request, response) => {
    response.writeHead(status, { "content-type": type, "cache-control": "no-store" });
    response.end(body);
  };
}

export const html = (body: string) =>
  send("text/html; charset=utf-8", `<!doctype html><html><head><title>t</title></head><body>${body}</body></html>`);
export const script = (code: string) => send("text/javascript", code);

/** Listens on `host` (127.0.0.1, or another loopback address for a second origin); closed after the file. */
export async function pageServer(host = "127.0.0.1"): Promise<PageServer> {
  const routes = new Map<string, Handler>();
  const hits = new Map<string, number>();
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://x").pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const handler = routes.get(path);
    if (handler) handler(request, response);
    else response.writeHead(404, { "content-type": "text/plain" }).end("not found");
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { origin: `http://${host}:${(server.address() as AddressInfo).port}`, routes, hits };
}
