import { type Router, sendJson, sendText } from "@lawyers-hub/service-kit";
import type { Agent } from "undici";
import { type ApiStatus, apiStatus } from "./api-status.ts";

/** GET / (server-rendered status page) and GET /api/health (200 only when the api is ready). */
export function pageRoutes(router: Router, apiUrl: string, agent: Agent): void {
  router.get("/api/health", async ({ response }) => {
    const api = await apiStatus(apiUrl, agent);
    sendJson(response, api.ready ? 200 : 503, { status: api.ready ? "ok" : "degraded", api });
  });

  router.get("/", async ({ response }) => {
    const api = await apiStatus(apiUrl, agent);
    response.setHeader("cache-control", "no-store");
    sendText(response, 200, "text/html; charset=utf-8", renderStatusPage(api));
  });
}

export function renderStatusPage(api: ApiStatus): string {
  const rows = Object.entries(api.checks)
    .map(([name, result]) => `<tr><td>${escapeHtml(name)}</td><td>${escapeHtml(result)}</td></tr>`)
    .join("\n");
  const summary = api.ready ? "ready" : "not ready";
  const detail = api.error ? `<p class="error">${escapeHtml(api.error)}</p>` : "";
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Lawyers Hub</title></head>
<body>
<h1>Lawyers Hub</h1>
<p>API status: <strong data-api-status="${summary}">${summary}</strong>${api.httpStatus === null ? "" : ` (HTTP ${api.httpStatus})`}</p>
${detail}
<table><thead><tr><th>dependency</th><th>state</th></tr></thead><tbody>
${rows}
</tbody></table>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char] ?? char,
  );
}
