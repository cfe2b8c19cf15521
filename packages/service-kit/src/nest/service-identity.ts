/** Who this process is: shown by /health and named in /ready's body and in every metric's labels. */
export interface ServiceIdentity {
  name: string;
  /** The release (commit) this process runs; the pipeline sets RELEASE. */
  release: string;
  /** Bound of each readiness check. */
  readinessTimeoutMs: number;
}

export const SERVICE_IDENTITY = Symbol("ServiceIdentity");
/** The terminus indicator functions /ready runs (HealthIndicatorFunction[]). */
export const READINESS_CHECKS = Symbol("ReadinessChecks");
