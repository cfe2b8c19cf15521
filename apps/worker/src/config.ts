import { hostname } from "node:os";
import { DEFAULT_JOBS_GROUP, dataStoreVariables, logLevel, milliseconds, port } from "@lawyers-hub/service-kit";
import { z } from "zod";

export const workerConfigSchema = z.object({
  /** Port of the worker's /health, /ready and /metrics server. */
  PORT: port(4200),
  ...dataStoreVariables(),
  JOBS_GROUP: z.string().trim().min(1).default(DEFAULT_JOBS_GROUP),
  /** This consumer's name in the group; the container's host name by default. */
  WORKER_CONSUMER: z.string().trim().min(1).default(hostname()),
  /** How long one read waits for new jobs. */
  WORKER_BLOCK_MS: milliseconds(2000),
  /** A job delivered to a consumer and not acknowledged for this long is taken over (its consumer died). */
  WORKER_CLAIM_IDLE_MS: milliseconds(60_000),
  WORKER_BATCH_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  LOG_LEVEL: logLevel(),
  SHUTDOWN_TIMEOUT_MS: milliseconds(8000),
  READINESS_TIMEOUT_MS: milliseconds(2000),
  /** The release (commit) this process runs; the pipeline sets it. */
  RELEASE: z.string().trim().min(1).default("unknown"),
});

export type WorkerConfig = z.infer<typeof workerConfigSchema>;
export const WORKER_CONFIG = Symbol("WorkerConfig");
