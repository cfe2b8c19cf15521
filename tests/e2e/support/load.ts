import { request } from "undici";
import type { ProxyClient } from "./proxy.ts";

/** One request of the load: which target, when it started, how long it took, and how it ended. */
interface Sample {
  target: string;
  phase: string;
  /** When it was sent (ISO, UTC), to line a failure up with the engine's events and the proxy's log. */
  sentAt: string;
  ms: number;
  /** "200", or what went wrong (another status, a reset, a timeout). */
  outcome: string;
}

export interface PhaseStats {
  phase: string;
  target: string;
  count: number;
  /** Requests per second sent to this target in the phase. */
  rate: number;
  failed: number;
  p50: number;
  p99: number;
}

export interface LoadReport {
  stats: PhaseStats[];
  /** `target phase: outcome (sent at, took)` of every failed request (empty when none failed). */
  failures: string[];
  /** Ticks at which the in-flight bound was reached and no request was sent (not failures: a slow server). */
  skipped: number;
  text: string;
}

export interface LoadOptions {
  /** Paths through the proxy, requested in turn: e.g. the web page and an api resource. */
  targets: Record<string, string>;
  /** Requests per second over all targets (at least 50). */
  ratePerSecond?: number;
  /** Bounds: the load stops by itself after this many requests or seconds, whichever comes first. */
  maxRequests?: number;
  maxSeconds?: number;
  /** At most this many requests in flight; a tick beyond it is skipped and counted. */
  maxInFlight?: number;
  /** Per request. */
  timeoutMs?: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/**
 * The e2e's own load generator: a steady stream of GETs over HTTPS to the proxy on this machine's
 * loopback (never anything else), bounded in count and time, labelled with the phase the test is
 * in (before, during, after a deploy). Every request must answer 200: anything else is a failure.
 */
export class SteadyLoad {
  private readonly client: ProxyClient;
  private readonly options: Required<LoadOptions>;
  private readonly samples: Sample[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private phaseName = "before";
  /** When each phase began (ms, performance.now()), for the rate it achieved. */
  private readonly phaseStarts: { name: string; at: number }[] = [];
  private sent = 0;
  private skipped = 0;
  private timer: NodeJS.Timeout | undefined;
  private limit: NodeJS.Timeout | undefined;

  constructor(client: ProxyClient, options: LoadOptions) {
    const { hostname } = new URL(client.origin);
    if (hostname !== "localhost" && hostname !== "127.0.0.1") {
      throw new Error(`the load generator sends to this machine's loopback only, not to ${hostname}`);
    }
    this.client = client;
    this.options = {
      ratePerSecond: 60,
      maxRequests: 40_000,
      maxSeconds: 600,
      maxInFlight: 256,
      timeoutMs: 30_000,
      ...options,
    };
    if (this.options.ratePerSecond < 50) throw new Error("ratePerSecond: at least 50 requests per second");
  }

  start(): void {
    this.phaseStarts.push({ name: this.phaseName, at: performance.now() });
    const names = Object.keys(this.options.targets);
    this.timer = setInterval(() => {
      if (this.sent >= this.options.maxRequests) return this.halt();
      if (this.inFlight.size >= this.options.maxInFlight) {
        this.skipped += 1;
        return;
      }
      const target = names[this.sent % names.length] ?? "";
      this.sent += 1;
      const sending = this.send(target).finally(() => this.inFlight.delete(sending));
      this.inFlight.add(sending);
    }, 1000 / this.options.ratePerSecond);
    this.limit = setTimeout(() => this.halt(), this.options.maxSeconds * 1000);
  }

  /** Labels the requests sent from now on. */
  phase(name: string): void {
    this.phaseName = name;
    this.phaseStarts.push({ name, at: performance.now() });
  }

  private halt(): void {
    if (this.timer === undefined) return;
    this.phaseStarts.push({ name: "", at: performance.now() });
    clearInterval(this.timer);
    clearTimeout(this.limit);
    this.timer = undefined;
  }

  private async send(target: string): Promise<void> {
    const phase = this.phaseName;
    const sentAt = new Date().toISOString();
    const started = performance.now();
    let outcome: string;
    try {
      const response = await request(`${this.client.origin}${this.options.targets[target]}`, {
        dispatcher: this.client.agent,
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
      });
      await response.body.dump();
      outcome = String(response.statusCode);
    } catch (error) {
      outcome = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    this.samples.push({ target, phase, sentAt, ms: performance.now() - started, outcome });
  }

  /** How long the load was in `phase` (from its start to the next phase's, or the halt). */
  private seconds(phase: string): number {
    const index = this.phaseStarts.findIndex((start) => start.name === phase);
    const from = this.phaseStarts[index]?.at ?? 0;
    const to = this.phaseStarts[index + 1]?.at ?? performance.now();
    return Math.max((to - from) / 1000, 0.001);
  }

  /** Stops sending, waits for what is in flight, and reports per phase and target. */
  async stop(): Promise<LoadReport> {
    this.halt();
    await Promise.all(this.inFlight);
    const phases = [...new Set(this.samples.map((sample) => sample.phase))];
    const stats: PhaseStats[] = [];
    for (const phase of phases) {
      for (const target of Object.keys(this.options.targets)) {
        const of = this.samples.filter((sample) => sample.phase === phase && sample.target === target);
        const sorted = of.map((sample) => sample.ms).sort((a, b) => a - b);
        stats.push({
          phase,
          target,
          count: of.length,
          rate: of.length / this.seconds(phase),
          failed: of.filter((sample) => sample.outcome !== "200").length,
          p50: percentile(sorted, 50),
          p99: percentile(sorted, 99),
        });
      }
    }
    const failures = this.samples
      .filter((sample) => sample.outcome !== "200")
      .map(
        (sample) =>
          `${sample.target} ${sample.phase}: ${sample.outcome} (sent ${sample.sentAt}, ${sample.ms.toFixed(0)} ms)`,
      );
    const lines = stats.map(
      (s) =>
        `  ${s.phase.padEnd(7)} ${s.target.padEnd(4)} ${String(s.count).padStart(6)} requests (${s.rate.toFixed(1)}/s), ${String(s.failed).padStart(4)} failed, p50 ${s.p50.toFixed(1).padStart(7)} ms, p99 ${s.p99.toFixed(1).padStart(7)} ms`,
    );
    if (this.skipped > 0)
      lines.push(`  ${this.skipped} ticks skipped (${this.options.maxInFlight} requests in flight)`);
    return { stats, failures, skipped: this.skipped, text: lines.join("\n") };
  }
}
