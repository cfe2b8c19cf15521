import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

/**
 * Prometheus metrics of one service: default process metrics plus the HTTP request counter and
 * duration histogram that the dashboards and alert rules of monitoring/ query by these exact names.
 */
export class ServiceMetrics {
  readonly registry: Registry;
  readonly #requests: Counter<"method" | "route" | "status_code">;
  readonly #duration: Histogram<"method" | "route" | "status_code">;

  constructor(service: string) {
    this.registry = new Registry();
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
    this.#requests = new Counter({
      name: "http_requests_total",
      help: "HTTP requests handled, by method, route pattern and status code",
      labelNames: ["method", "route", "status_code"],
      registers: [this.registry],
    });
    this.#duration = new Histogram({
      name: "http_request_duration_seconds",
      help: "HTTP request duration in seconds, by method, route pattern and status code",
      labelNames: ["method", "route", "status_code"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
  }

  /** Records one finished request; `route` is the matched pattern, never the raw URL. */
  observeRequest(method: string, route: string, statusCode: number, seconds: number): void {
    const labels = { method, route, status_code: String(statusCode) };
    this.#requests.inc(labels);
    this.#duration.observe(labels, seconds);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
