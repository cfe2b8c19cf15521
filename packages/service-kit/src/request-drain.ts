/**
 * The part of every service's shutdown that keeps a deploy from dropping a request. A deploy
 * switches the proxy away from the old container before it sends SIGTERM, so no new request is
 * coming; but a busy server still has requests the proxy already sent sitting unread in its
 * kept-alive sockets, and Node's `server.close()` destroys those connections as idle: the proxy
 * sees "connection reset" and answers 502. So a stopping service first keeps serving until no
 * request has been in flight or arrived for a quiet period (bounded by a deadline), and only then
 * closes its servers. Clients inside the stack find a container by Docker DNS, which names it until
 * it is gone: they may keep sending until the deadline. From the close on, every answer says
 * `Connection: close`, so that such a client sends its next request on a new connection (to a
 * container that still listens) rather than on one that is about to be closed under it.
 */
import type { Server, ServerResponse } from "node:http";

/** How long no request must have arrived before the servers close: the proxy's last sends land well within it. */
export const DRAIN_QUIET_MS = 1_000;
const POLL_MS = 100;

/** Counts the requests the tracked HTTP servers are answering. */
export class RequestDrain {
  readonly #servers = new Set<Server>();
  readonly #answering = new Set<ServerResponse>();
  #lastArrival = 0;
  #closing = false;

  /** Counts `server`'s requests from now on (call it before the server listens). */
  track(server: Server): void {
    if (this.#servers.has(server)) return;
    this.#servers.add(server);
    server.on("request", (_request, response) => {
      if (this.#closing) response.setHeader("connection", "close");
      this.#answering.add(response);
      this.#lastArrival = Date.now();
      response.once("close", () => {
        this.#answering.delete(response);
      });
    });
  }

  get inFlight(): number {
    return this.#answering.size;
  }

  /**
   * Resolves once no request is in flight and none arrived for `quietMs`, or at `deadline` (epoch
   * ms), whichever comes first; true when it was quiet.
   */
  async quiet(deadline: number, quietMs = DRAIN_QUIET_MS): Promise<boolean> {
    return await until(() => this.#answering.size === 0 && Date.now() - this.#lastArrival >= quietMs, deadline);
  }

  /** From now on every answer (those in flight too) closes its connection; idle kept-alive connections are closed now. */
  endKeepAlive(): void {
    this.#closing = true;
    for (const response of this.#answering) if (!response.headersSent) response.setHeader("connection", "close");
    for (const server of this.#servers) server.closeIdleConnections();
  }

  /** quiet(), then every tracked server closed, then what is still in flight finished (or the deadline). */
  async close(deadline: number, quietMs = DRAIN_QUIET_MS): Promise<void> {
    await this.quiet(deadline, quietMs);
    this.endKeepAlive();
    for (const server of this.#servers) server.close();
    await until(() => this.#answering.size === 0, deadline);
  }
}

async function until(done: () => boolean, deadline: number): Promise<boolean> {
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return true;
}
