import type { IncomingMessage, ServerResponse } from "node:http";
import type { Params } from "nestjs-pino";
import type { JsonLogger } from "../json-logger.ts";
import { routePattern } from "./route-pattern.ts";

/** Routes that probes and scrapers call many times a minute: logged at debug, not info. */
const PROBE_PATHS = new Set(["/health", "/ready", "/metrics"]);

/**
 * nestjs-pino's settings: the service's own pino logger (JSON lines, secrets redacted) for Nest's
 * messages and one line per request: method, route pattern, status and duration, nothing more
 * (headers may carry credentials, bodies personal data).
 */
export function requestLogging(logger: JsonLogger): Params {
  return {
    pinoHttp: {
      logger,
      quietReqLogger: true,
      customLogLevel: (request: IncomingMessage, response: ServerResponse) => {
        if (PROBE_PATHS.has((request.url ?? "").split("?")[0] ?? "")) return "debug";
        return response.statusCode >= 500 ? "error" : "info";
      },
      customSuccessMessage: () => "request",
      customErrorMessage: () => "request",
      customAttributeKeys: { responseTime: "duration_ms" },
      serializers: {
        req: (request: { method?: string }) => ({ method: request.method }),
        res: (response: { statusCode?: number }) => ({ status: response.statusCode }),
      },
      // The route pattern is known once the response is done; the error, if any, is logged where it happened.
      customSuccessObject: (request, _response, fields) => ({ ...fields, route: routePattern(request) }),
      customErrorObject: (request, _response, _error, fields) => {
        const { err: _synthetic, ...rest } = fields as Record<string, unknown>;
        return { ...rest, route: routePattern(request) };
      },
    },
  };
}
