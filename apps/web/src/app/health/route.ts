import { webConfig } from "../../lib/config.ts";
import { observed } from "../../lib/metrics.ts";

export const dynamic = "force-dynamic";

/** GET /health: the server answers (the image's HEALTHCHECK). */
export function GET(): Promise<Response> {
  return observed("GET", "/health", async () =>
    Response.json({ status: "ok", service: "web", release: webConfig().RELEASE }),
  );
}
