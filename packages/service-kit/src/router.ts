import type { IncomingMessage, ServerResponse } from "node:http";

export interface RequestContext {
  request: IncomingMessage;
  response: ServerResponse;
  /** Path parameters, e.g. { id } for /v1/matters/:id. */
  params: Record<string, string>;
  url: URL;
}

export type Handler = (context: RequestContext) => Promise<void> | void;

export interface RouteMatch {
  /** The pattern that matched (the `route` label of the HTTP metrics). */
  route: string;
  handler: Handler;
  params: Record<string, string>;
}

interface Route {
  method: string;
  pattern: string;
  segments: string[];
  handler: Handler;
}

/** The `route` label of requests that match no route, so raw URLs never become label values. */
export const UNMATCHED_ROUTE = "unmatched";

/** A tiny router over node:http: exact segments and `:name` parameters. */
export class Router {
  readonly #routes: Route[] = [];

  get(pattern: string, handler: Handler): this {
    return this.add("GET", pattern, handler);
  }

  post(pattern: string, handler: Handler): this {
    return this.add("POST", pattern, handler);
  }

  add(method: string, pattern: string, handler: Handler): this {
    this.#routes.push({ method, pattern, segments: split(pattern), handler });
    return this;
  }

  /** The route for a method and path; `allowed` lists the methods of a path matched by another method (405). */
  match(method: string, path: string): RouteMatch | { route: string; allowed: string[] } | undefined {
    const segments = split(path);
    const allowed: string[] = [];
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      if (route.method === method || (method === "HEAD" && route.method === "GET")) {
        return { route: route.pattern, handler: route.handler, params };
      }
      allowed.push(route.method);
    }
    if (allowed.length === 0) return undefined;
    const pattern = this.#routes.find((route) => matchSegments(route.segments, segments))?.pattern ?? UNMATCHED_ROUTE;
    return { route: pattern, allowed };
  }
}

function split(path: string): string[] {
  return path.split("/").filter((segment) => segment.length > 0);
}

function matchSegments(pattern: string[], path: string[]): Record<string, string> | undefined {
  if (pattern.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of pattern.entries()) {
    const actual = path[index] ?? "";
    if (part.startsWith(":")) {
      try {
        params[part.slice(1)] = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
    } else if (part !== actual) {
      return undefined;
    }
  }
  return params;
}
