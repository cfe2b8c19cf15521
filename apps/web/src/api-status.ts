import { errorMessage } from "@lawyers-hub/service-kit";
import { type Agent, request } from "undici";

export interface ApiStatus {
  /** True when the api's /ready answered 200. */
  ready: boolean;
  /** The HTTP status of /ready, or null when the api did not answer. */
  httpStatus: number | null;
  /** The api's own readiness checks, when it answered with them. */
  checks: Record<string, string>;
  error?: string;
}

/** Asks the api whether it is ready, within the agent's timeouts. */
export async function apiStatus(apiUrl: string, agent: Agent): Promise<ApiStatus> {
  try {
    const response = await request(new URL("/ready", apiUrl), { dispatcher: agent });
    const body = (await response.body.json().catch(() => ({}))) as { checks?: Record<string, string> };
    return {
      ready: response.statusCode === 200,
      httpStatus: response.statusCode,
      checks: typeof body.checks === "object" && body.checks ? body.checks : {},
    };
  } catch (error) {
    return { ready: false, httpStatus: null, checks: {}, error: `api did not answer: ${errorMessage(error)}` };
  }
}
