import { ServiceMetrics } from "@lawyers-hub/service-kit";

/**
 * The web's Prometheus metrics: the names the dashboards and alert rules query
 * (http_requests_total, http_request_duration_seconds, the process metrics). Next.js bundles each
 * route separately, so the one registry of the process lives on globalThis.
 */
const holder = globalThis as typeof globalThis & { lawyersHubWebMetrics?: ServiceMetrics };
holder.lawyersHubWebMetrics ??= new ServiceMetrics("web");
export const metrics: ServiceMetrics = holder.lawyersHubWebMetrics;

/** Times a request of `route` (the pattern, never the raw URL) and records its status. */
export async function observed(method: string, route: string, handle: () => Promise<Response>): Promise<Response> {
  const started = process.hrtime.bigint();
  let status = 500;
  try {
    const response = await handle();
    status = response.status;
    return response;
  } finally {
    metrics.observeRequest(method, route, status, Number(process.hrtime.bigint() - started) / 1e9);
  }
}
