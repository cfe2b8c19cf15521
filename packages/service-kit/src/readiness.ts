import { errorMessage } from "./logger.ts";

/** One dependency the service needs in order to do its work (PostgreSQL, Redis, migrations...). */
export interface ReadinessCheck {
  /** Named in the 503 body, e.g. "redis". */
  name: string;
  /** Resolves when the dependency answers; rejects with what is wrong. */
  check(signal: AbortSignal): Promise<unknown>;
}

export interface ReadinessReport {
  ready: boolean;
  /** "ok" or what is wrong, per dependency. */
  checks: Record<string, string>;
  /** The names of the failing dependencies (empty when ready). */
  failing: string[];
}

/**
 * Runs every check in parallel, each bounded by `timeoutMs`, so that a dependency that hangs
 * (a Redis client queueing commands while offline, a half-open TCP connection) makes the service
 * not ready instead of making the probe hang.
 */
export async function checkReadiness(checks: ReadinessCheck[], timeoutMs: number): Promise<ReadinessReport> {
  const results = await Promise.all(
    checks.map(async (check) => [check.name, await runBounded(check, timeoutMs)] as const),
  );
  const failing = results.filter(([, result]) => result !== "ok").map(([name]) => name);
  return { ready: failing.length === 0, checks: Object.fromEntries(results), failing };
}

async function runBounded(check: ReadinessCheck, timeoutMs: number): Promise<string> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve(`did not answer within ${timeoutMs} ms`);
    }, timeoutMs);
  });
  try {
    return await Promise.race([
      check.check(controller.signal).then(
        () => "ok",
        (error: unknown) => errorMessage(error) || "failed",
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
