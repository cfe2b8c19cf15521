import type { IncomingMessage } from "node:http";

/** The `route` label and log field of requests that match no route, so raw URLs never become label values. */
export const UNMATCHED_ROUTE = "unmatched";

/**
 * The route pattern Express matched for a request (`/v1/matters/:id`), or "unmatched". Nest
 * answers unknown paths from a catch-all route of its own (`{/*splat}`): that counts as unmatched.
 */
export function routePattern(request: IncomingMessage): string {
  const path = (request as IncomingMessage & { route?: { path?: unknown } }).route?.path;
  return typeof path === "string" && !path.includes("*") ? path : UNMATCHED_ROUTE;
}
