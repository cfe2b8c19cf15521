import { Controller, Get, Header, Inject, Res } from "@nestjs/common";
import type { Response } from "express";
import { ServiceMetrics } from "../metrics.ts";

/** GET /metrics: Prometheus's text format, scraped by the staging stack's Prometheus. */
@Controller()
export class MetricsController {
  readonly #metrics: ServiceMetrics;

  constructor(@Inject(ServiceMetrics) metrics: ServiceMetrics) {
    this.#metrics = metrics;
  }

  @Get("metrics")
  @Header("cache-control", "no-store")
  async metrics(@Res() response: Response): Promise<void> {
    response.type(this.#metrics.contentType).send(await this.#metrics.render());
  }
}
