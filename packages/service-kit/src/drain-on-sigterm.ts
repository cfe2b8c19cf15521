/**
 * The web image's shutdown, loaded before Next.js's standalone server (`node --import
 * /app/drain-on-sigterm.js server.js`, with NEXT_MANUAL_SIG_HANDLE=1 so that Next.js leaves SIGTERM
 * to it). On SIGTERM it drains as every service does (request-drain.ts: keeps serving until a
 * quiet second, at most DRAIN_MAX_MS), closes Next.js's servers, and exits 143 as Next.js does.
 */
import { Server } from "node:http";
import { RequestDrain } from "./request-drain.ts";

/** Below compose's stop_grace_period (30 s), so the exit is ours, not docker's SIGKILL. */
const DRAIN_MAX_MS = 20_000;

const drain = new RequestDrain();

// Every HTTP server the process starts (Next.js's) is tracked from its listen.
const listen = Server.prototype.listen;
Server.prototype.listen = function trackedListen(this: Server, ...args: unknown[]) {
  drain.track(this);
  return (listen as (...a: unknown[]) => Server).apply(this, args);
} as typeof Server.prototype.listen;

process.once("SIGTERM", async () => {
  await drain.close(Date.now() + DRAIN_MAX_MS);
  process.exit(143);
});
