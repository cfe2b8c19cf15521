import { errorMessage } from "@lawyers-hub/service-kit";
import type { WebConfig } from "./config.ts";

export interface ApiStatus {
  /** True when the api's /ready answered 200. */
  ready: boolean;
  /** The HTTP status of /ready, or null when the api did not answer. */
  httpStatus: number | null;
  /** The api's own readiness checks, when it answered with them. */
  checks: Record<string, string>;
  error?: string;
}

/** The api's /ready under API_URL's own path (an api behind a proxy at /api answers /api/ready). */
export function readyUrl(apiUrl: string): URL {
  const url = new URL(apiUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/ready`;
  return url;
}

/** Asks the api whether it is ready, within API_TIMEOUT_MS; never throws. */
export async function apiStatus(config: WebConfig): Promise<ApiStatus> {
  try {
    const response = await fetch(readyUrl(config.API_URL), {
      cache: "no-store",
      signal: AbortSignal.timeout(config.API_TIMEOUT_MS),
    });
    const body = (await response.json().catch(() => ({}))) as { checks?: Record<string, string> };
    return {
      ready: response.status === 200,
      httpStatus: response.status,
      checks: typeof body.checks === "object" && body.checks ? body.checks : {},
    };
  } catch (error) {
    return { ready: false, httpStatus: null, checks: {}, error: `api did not answer: ${errorMessage(error)}` };
  }
}
