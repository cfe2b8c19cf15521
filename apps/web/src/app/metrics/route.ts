import { metrics } from "../../lib/metrics.ts";

export const dynamic = "force-dynamic";

/** GET /metrics: Prometheus's text format, scraped by the staging stack's Prometheus. */
export async function GET(): Promise<Response> {
  const started = process.hrtime.bigint();
  const body = await metrics.render();
  metrics.observeRequest("GET", "/metrics", 200, Number(process.hrtime.bigint() - started) / 1e9);
  return new Response(body, { headers: { "content-type": metrics.contentType, "cache-control": "no-store" } });
}
