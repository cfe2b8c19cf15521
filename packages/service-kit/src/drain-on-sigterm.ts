/**
 * The web image's shutdown, loaded before Next.js's standalone server (`node --import
 * /app/drain-on-sigterm.js server.js`, with NEXT_MANUAL_SIG_HANDLE=1 so that Next.js leaves SIGTERM
 * to it). A deploy switches the proxy away from the old container before it sends SIGTERM, so no
 * new request is coming; but a busy server still has requests the proxy already sent sitting
 * unread in its sockets, and Node's `server.close()` destroys those connections as idle: the proxy
 * sees "connection reset" and answers 502. So on SIGTERM this keeps serving until no request has
 * been in flight or arrived for QUIET_MS (at most DRAIN_MAX_MS), then closes the servers, waits for
 * what is left, and exits 143 as Next.js does.
 */
import { Server } from "node:http";

const QUIET_MS = 1_000;
/** Below compose's stop_grace_period (30 s), so the exit is ours, not docker's SIGKILL. */
const DRAIN_MAX_MS = 20_000;
const POLL_MS = 100;

const servers = new Set<Server>();
let inFlight = 0;
let lastArrival = 0;

function track(server: Server): void {
  if (servers.has(server)) return;
  servers.add(server);
  server.on("request", (_request, response) => {
    inFlight += 1;
    lastArrival = Date.now();
    response.once("close", () => {
      inFlight -= 1;
    });
  });
}

// Every HTTP server the process starts (Next.js's) is tracked from its listen.
const listen = Server.prototype.listen;
Server.prototype.listen = function trackedListen(this: Server, ...args: unknown[]) {
  track(this);
  return (listen as (...a: unknown[]) => Server).apply(this, args);
} as typeof Server.prototype.listen;

async function until(done: () => boolean, deadline: number): Promise<void> {
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
}

process.once("SIGTERM", async () => {
  const deadline = Date.now() + DRAIN_MAX_MS;
  await until(() => inFlight === 0 && Date.now() - lastArrival >= QUIET_MS, deadline);
  for (const server of servers) server.close();
  await until(() => inFlight === 0, deadline);
  process.exit(143);
});
