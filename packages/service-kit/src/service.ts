import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { HttpError, sendJson, sendText } from "./http.ts";
import type { Logger } from "./logger.ts";
import { ServiceMetrics } from "./metrics.ts";
import { checkReadiness, type ReadinessCheck } from "./readiness.ts";
import { Router, UNMATCHED_ROUTE } from "./router.ts";
import { type ShutdownStep, shutdownOnSignals } from "./shutdown.ts";

export interface ServiceOptions {
  name: string;
  port: number;
  /** Interface to listen on (default 0.0.0.0: every IPv4 interface of the container). */
  host?: string;
  logger: Logger;
  /** The service's own routes; /health, /ready and /metrics are added here. */
  router?: Router;
  /** Dependencies that must answer for /ready to be 200. */
  readiness?: ReadinessCheck[];
  /** Bound of each readiness check (default 2000 ms). */
  readinessTimeoutMs?: number;
  /** Bound of the whole SIGTERM drain (default 8000 ms: inside the 10 s `docker stop` waits before SIGKILL). */
  shutdownTimeoutMs?: number;
  metrics?: ServiceMetrics;
  /** Started as soon as SIGTERM arrives, alongside the HTTP drain: stop background work, finish in-flight jobs. */
  drain?: ShutdownStep[];
  /** Run after the drain: close pools and clients. */
  close?: ShutdownStep[];
  /** The release (commit) this process runs, shown by /health; default: the RELEASE variable the pipeline sets. */
  release?: string;
}

export interface RunningService {
  server: Server;
  port: number;
  metrics: ServiceMetrics;
  readonly stopping: boolean;
}

/** Routes that probes and scrapers call many times a minute: logged at debug, not info. */
const PROBE_ROUTES = new Set(["/health", "/ready", "/metrics"]);

/**
 * Starts an HTTP service with the endpoints every Lawyers Hub service has (/health, /ready,
 * /metrics), HTTP metrics and JSON request logs, and a bounded graceful drain on SIGTERM/SIGINT.
 */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const { logger } = options;
  const metrics = options.metrics ?? new ServiceMetrics(options.name);
  const router = options.router ?? new Router();
  const readinessTimeoutMs = options.readinessTimeoutMs ?? 2000;
  const release = options.release ?? process.env.RELEASE ?? "unknown";
  let stopping = false;

  router.get("/health", ({ response }) => sendJson(response, 200, { status: "ok", service: options.name, release }));
  router.get("/ready", async ({ response }) => {
    if (stopping) {
      sendJson(response, 503, { status: "shutting down", service: options.name, failing: [] });
      return;
    }
    const report = await checkReadiness(options.readiness ?? [], readinessTimeoutMs);
    sendJson(response, report.ready ? 200 : 503, {
      status: report.ready ? "ready" : "not ready",
      service: options.name,
      checks: report.checks,
      failing: report.failing,
    });
  });
  router.get("/metrics", async ({ response }) => {
    sendText(response, 200, metrics.contentType, await metrics.render());
  });

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const started = process.hrtime.bigint();
    const method = request.method ?? "GET";
    const url = new URL(request.url ?? "/", "http://service.invalid");
    const match = router.match(method, url.pathname);
    const route = match?.route ?? UNMATCHED_ROUTE;
    // While draining, tell keep-alive clients to reconnect (to another replica) after this response.
    if (stopping) response.setHeader("connection", "close");
    response.once("finish", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observeRequest(method, route, response.statusCode, seconds);
      logger.log(PROBE_ROUTES.has(route) ? "debug" : "info", "request", {
        method,
        route,
        status: response.statusCode,
        duration_ms: Math.round(seconds * 1000),
      });
    });
    try {
      if (!match) throw new HttpError(404, `no route for ${method} ${url.pathname}`);
      if ("allowed" in match) {
        response.setHeader("allow", match.allowed.join(", "));
        throw new HttpError(405, `${method} is not allowed here; use ${match.allowed.join(" or ")}`);
      }
      await match.handler({ request, response, params: match.params, url });
    } catch (error) {
      if (response.headersSent) {
        response.destroy();
      } else if (error instanceof HttpError) {
        sendJson(response, error.status, { error: error.message });
      } else {
        logger.error("request failed", { method, route, error });
        sendJson(response, 500, { error: "internal error; see the service's logs" });
      }
    }
  };

  const server = createServer((request, response) => {
    void handle(request, response);
  });
  server.keepAliveTimeout = 5_000;
  server.requestTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "0.0.0.0", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info("listening", { port, release });

  const closeServer: ShutdownStep = {
    name: "http",
    run: () =>
      new Promise<void>((resolve) => {
        // close() stops accepting and calls back once every connection is gone. Keep-alive
        // connections turn idle as their in-flight response ends: close them as they do.
        const sweeper = setInterval(() => server.closeIdleConnections(), 50);
        server.close(() => {
          clearInterval(sweeper);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
  shutdownOnSignals({
    logger,
    timeoutMs: options.shutdownTimeoutMs ?? 8_000,
    begin: () => {
      stopping = true;
    },
    drain: [closeServer, ...(options.drain ?? [])],
    close: options.close ?? [],
    force: () => server.closeAllConnections(),
  });

  return {
    server,
    port,
    metrics,
    get stopping() {
      return stopping;
    },
  };
}
