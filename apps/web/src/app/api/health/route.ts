import { apiStatus } from "../../../lib/api-status.ts";
import { webConfig } from "../../../lib/config.ts";
import { observed } from "../../../lib/metrics.ts";

export const dynamic = "force-dynamic";

/** GET /api/health: 200 only when the api is ready; the body relays the api's own checks. */
export function GET(): Promise<Response> {
  return observed("GET", "/api/health", async () => {
    const api = await apiStatus(webConfig());
    return Response.json({ status: api.ready ? "ok" : "degraded", api }, { status: api.ready ? 200 : 503 });
  });
}
