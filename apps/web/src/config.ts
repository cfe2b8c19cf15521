import { httpUrl, logLevel, milliseconds, port } from "@lawyers-hub/service-kit";
import { z } from "zod";

export const webConfigSchema = z.object({
  PORT: port(3000),
  /** Where the web reaches the api (the compose service name by default). */
  API_URL: httpUrl("http://api:4000"),
  /** Bound of each call to the api's /ready. */
  API_TIMEOUT_MS: milliseconds(2000),
  LOG_LEVEL: logLevel(),
  SHUTDOWN_TIMEOUT_MS: milliseconds(8000),
});

export type WebConfig = z.infer<typeof webConfigSchema>;
