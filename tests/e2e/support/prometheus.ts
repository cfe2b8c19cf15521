import { getJson } from "./http.ts";

interface TargetsReply {
  data: { activeTargets: { labels: { job: string }; health: string; lastError: string }[] };
}

/** Every scrape target's health by job, from Prometheus's API on its published loopback port. */
export async function targetHealth(port: number): Promise<Record<string, string>> {
  const { body } = await getJson<TargetsReply>(`http://127.0.0.1:${port}/api/v1/targets`);
  return Object.fromEntries(body.data.activeTargets.map((target) => [target.labels.job, target.health]));
}

/** The value of an instant query with one series (undefined when there is no series yet). */
export async function instantValue(port: number, query: string): Promise<number | undefined> {
  const url = `http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(query)}`;
  const { body } = await getJson<{ data: { result: { value: [number, string] }[] } }>(url);
  const value = body.data.result[0]?.value[1];
  return value === undefined ? undefined : Number(value);
}
