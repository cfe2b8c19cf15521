import { apiStatus } from "../lib/api-status.ts";
import { webConfig } from "../lib/config.ts";
import { metrics } from "../lib/metrics.ts";
import { HydrationMarker } from "./hydration-marker.tsx";

// Rendered on the server for every request: the api's status is fetched now, not at build time.
export const dynamic = "force-dynamic";

/** The home page: the api's readiness, fetched on the server, with its checks. */
export default async function Home() {
  const started = process.hrtime.bigint();
  const api = await apiStatus(webConfig());
  const summary = api.ready ? "ready" : "not ready";
  metrics.observeRequest("GET", "/", 200, Number(process.hrtime.bigint() - started) / 1e9);
  return (
    <main>
      <h1>
        {/* biome-ignore lint/performance/noImgElement: a 300-byte SVG from public/; the image optimizer adds nothing */}
        <img src="/lawyers-hub.svg" alt="" width={32} height={32} /> Lawyers Hub
      </h1>
      <p>
        API status:{" "}
        <strong data-testid="api-status" data-api-status={summary}>
          {summary}
        </strong>
        {api.httpStatus === null ? "" : ` (HTTP ${api.httpStatus})`}
      </p>
      {api.error ? <p className="error">{api.error}</p> : null}
      <table>
        <thead>
          <tr>
            <th>dependency</th>
            <th>state</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(api.checks).map(([name, result]) => (
            <tr key={name}>
              <td>{name}</td>
              <td>{result}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <HydrationMarker />
    </main>
  );
}
