import { eventually } from "../../../apps/test/support/wait.ts";

/** Requests to the stack's published loopback ports, each bounded in time. */
export async function getJson<T>(url: string, timeoutMs = 5_000): Promise<{ status: number; body: T }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.status, body: (await response.json()) as T };
}

export async function postJson<T>(
  url: string,
  payload: unknown,
  timeoutMs = 5_000,
): Promise<{ status: number; body: T }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(payload),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: response.status, body: (await response.json()) as T };
}

/** Polls `probe` once a second until it returns a value (not undefined) or the deadline passes. */
export function waitFor<T>(what: string, probe: () => Promise<T | undefined>, deadlineMs: number): Promise<T> {
  return eventually(what, probe, deadlineMs, 1_000);
}
