import { fileURLToPath } from "node:url";
import { dataStoreVariables, logLevel, milliseconds, port } from "@lawyers-hub/service-kit";
import { z } from "zod";

/** The api's own migrations folder, which the image ships beside the code (dist/ and src/ alike). */
const OWN_MIGRATIONS = fileURLToPath(new URL("../prisma/migrations", import.meta.url));

export const apiConfigSchema = z.object({
  PORT: port(4000),
  ...dataStoreVariables(),
  /** Readiness requires every migration of this folder to be applied. */
  MIGRATIONS_DIR: z.string().trim().min(1).default(OWN_MIGRATIONS),
  LOG_LEVEL: logLevel(),
  SHUTDOWN_TIMEOUT_MS: milliseconds(8000),
  READINESS_TIMEOUT_MS: milliseconds(2000),
  /** The release (commit) this process runs; the pipeline sets it. */
  RELEASE: z.string().trim().min(1).default("unknown"),
});

export type ApiConfig = z.infer<typeof apiConfigSchema>;
export const API_CONFIG = Symbol("ApiConfig");
