import { Inject, Injectable, type NestMiddleware } from "@nestjs/common";
import type { NextFunction, Request, Response } from "express";
import { ServiceMetrics } from "../metrics.ts";
import { routePattern } from "./route-pattern.ts";

/**
 * Counts and times every request by method, route pattern and status code. The pattern is the
 * one Express matched (`/v1/matters/:id`), read once the response is finished; never the raw URL,
 * which would make one time series per matter id.
 */
@Injectable()
export class RequestMetricsMiddleware implements NestMiddleware {
  readonly #metrics: ServiceMetrics;

  constructor(@Inject(ServiceMetrics) metrics: ServiceMetrics) {
    this.#metrics = metrics;
  }

  use(request: Request, response: Response, next: NextFunction): void {
    const started = process.hrtime.bigint();
    response.once("finish", () => {
      this.#metrics.observeRequest(
        request.method,
        routePattern(request),
        response.statusCode,
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    });
    next();
  }
}
