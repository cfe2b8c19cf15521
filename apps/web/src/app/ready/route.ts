import { observed } from "../../lib/metrics.ts";

export const dynamic = "force-dynamic";

/**
 * GET /ready: the web serves its pages (showing the api as down) whatever the api's state, so it
 * has no dependency to wait for; /api/health is what tells whether the api behind it is ready.
 */
export function GET(): Promise<Response> {
  return observed("GET", "/ready", async () =>
    Response.json({ status: "ready", service: "web", checks: {}, failing: [] }),
  );
}
