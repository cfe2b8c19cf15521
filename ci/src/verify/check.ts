/** One thing `lh-ci verify` waits for: the api answering /ready, PostgreSQL 15, Redis 7... */
export interface Check {
  /** Short name in the table: api, web, postgres, redis, migrations. */
  name: string;
  /** What it reaches, e.g. "GET http://api:4000/ready" (no credentials). */
  target: string;
  /**
   * One attempt. Resolves with what passed ("HTTP 200 in ...", "PostgreSQL 15.8"); rejects with
   * a CheckFailure saying precisely what is wrong. Must stop and free its resources when
   * `signal` aborts (its per-attempt timeout or the overall deadline).
   */
  attempt(signal: AbortSignal, timeoutMs: number): Promise<string>;
}

/** A precise reason a check failed. `final` stops the retries: waiting cannot fix it. */
export class CheckFailure extends Error {
  override name = "CheckFailure";
  readonly final: boolean;

  constructor(reason: string, options: { final?: boolean } = {}) {
    super(reason);
    this.final = options.final ?? false;
  }
}

export interface CheckReport {
  name: string;
  target: string;
  status: "pass" | "fail";
  durationMs: number;
  attempts: number;
  /** What passed, or the precise reason of the last failure. */
  detail: string;
}
