import { httpUrl, milliseconds, parseConfig } from "@lawyers-hub/service-kit";
import { z } from "zod";

/**
 * The web's run-time configuration, read from the environment on the server when a request needs
 * it, never baked in at build time: one image serves every environment. (Only NEXT_PUBLIC_*
 * variables would be inlined into the browser's code by `next build`; the web uses none.)
 */
export const webConfigSchema = z.object({
  /** Where the web reaches the api (the compose service name by default). */
  API_URL: httpUrl("http://api:4000"),
  /** Bound of each call to the api's /ready. */
  API_TIMEOUT_MS: milliseconds(2000),
  /** The release (commit) this process runs; the pipeline sets it. */
  RELEASE: z.string().trim().min(1).default("unknown"),
});

export type WebConfig = z.infer<typeof webConfigSchema>;

/** Parsed per call (cheap), so that a changed environment needs no rebuild; throws naming the variable. */
export function webConfig(): WebConfig {
  return parseConfig(webConfigSchema, process.env);
}
