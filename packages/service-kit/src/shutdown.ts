import type { Logger } from "./logger.ts";

/** One named part of a shutdown, e.g. "http", "consumer" or "postgres". */
export interface ShutdownStep {
  name: string;
  run(): Promise<void>;
}

export interface ShutdownPlan {
  logger: Logger;
  /** The whole shutdown must finish within this; after it, connections are cut and the exit code is 1. */
  timeoutMs: number;
  /** Called first and synchronously: mark the service as stopping (readiness turns 503). */
  begin(): void;
  /** Run in parallel: stop accepting and finish what is in flight. */
  drain: ShutdownStep[];
  /** Run in order after the drain: close connections to dependencies. */
  close: ShutdownStep[];
  /** Cuts what is still open when the deadline passes. */
  force(): void;
}

/**
 * SIGTERM (docker stop, compose down) and SIGINT (Ctrl-C): stop accepting work, finish what is in
 * flight within a deadline, close connections, exit 0. A second signal is ignored: the drain is
 * already under way and bounded.
 */
export function shutdownOnSignals(plan: ShutdownPlan): void {
  let started = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (started) return;
    started = true;
    void shutdown(plan, signal).then((code) => process.exit(code));
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

export async function shutdown(plan: ShutdownPlan, reason: string): Promise<number> {
  const { logger } = plan;
  const begun = Date.now();
  logger.info(`${reason} received: draining (at most ${plan.timeoutMs} ms)`);
  plan.begin();

  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), plan.timeoutMs);
  });
  const drained = Promise.all(plan.drain.map((step) => runStep(step, logger))).then(() => "drained" as const);
  const outcome = await Promise.race([drained, deadline]);
  if (outcome === "timeout") {
    logger.error(`drain did not finish within ${plan.timeoutMs} ms; cutting the remaining connections`);
    plan.force();
  }
  for (const step of plan.close) {
    await Promise.race([runStep(step, logger), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
  }
  clearTimeout(timer);
  const code = outcome === "drained" ? 0 : 1;
  logger.info("stopped", { duration_ms: Date.now() - begun, exit_code: code });
  return code;
}

async function runStep(step: ShutdownStep, logger: Logger): Promise<void> {
  try {
    await step.run();
    logger.debug(`shutdown: ${step.name} done`);
  } catch (error) {
    logger.warn(`shutdown: ${step.name} failed`, { error });
  }
}
