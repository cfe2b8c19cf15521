import { httpUrl, logLevel, milliseconds, optional, port } from "@lawyers-hub/service-kit";
import { z } from "zod";

export const gatewayConfigSchema = z.object({
  PORT: port(4100),
  /** Without it the AI features are disabled: /v1/complete answers 503 and the service stays ready. */
  OPENAI_API_KEY: optional(),
  /** Any OpenAI-compatible API (OpenAI, Azure OpenAI, a local model server). */
  OPENAI_BASE_URL: httpUrl("https://api.openai.com/v1"),
  OPENAI_MODEL: z.string().trim().min(1).default("gpt-4o-mini"),
  AI_CONNECT_TIMEOUT_MS: milliseconds(5000),
  /** Bound of the wait for the provider's answer (headers, then each body chunk). */
  AI_REQUEST_TIMEOUT_MS: milliseconds(60_000),
  LOG_LEVEL: logLevel(),
  SHUTDOWN_TIMEOUT_MS: milliseconds(8000),
  /** The release (commit) this process runs; the pipeline sets it. */
  RELEASE: z.string().trim().min(1).default("unknown"),
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
export const GATEWAY_CONFIG = Symbol("GatewayConfig");
