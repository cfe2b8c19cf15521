import { type ChildProcess, spawn } from "node:child_process";
import { docker } from "./docker.ts";
import type { E2EStack } from "./stack.ts";

/** The container events that tell a rollout's story (not the health checks' exec_* ones). */
const EVENTS = ["create", "start", "restart", "kill", "stop", "die", "destroy", "health_status"];

/** At most this many proxy log lines are printed (the newest). */
const PROXY_LINES = 200;

/**
 * What the engine and the proxy did while a deploy ran under load, to print when a request failed:
 * the project's container events (start, kill with its signal, die with its exit code, health),
 * the proxy's warnings and errors (Caddy logs every request it answers with an error, naming the
 * upstream it tried and why it failed) with its reloads, and the containers left. Times are UTC, as the load's are.
 */
export class RolloutEvidence {
  private readonly stack: E2EStack;
  private readonly since: string;
  private readonly events: ChildProcess;
  private readonly lines: string[] = [];

  private constructor(stack: E2EStack) {
    this.stack = stack;
    this.since = new Date().toISOString();
    this.events = spawn(
      "docker",
      [
        "events",
        "--filter",
        "type=container",
        "--filter",
        `label=com.docker.compose.project=${stack.project}`,
        ...EVENTS.flatMap((event) => ["--filter", `event=${event}`]),
        "--format",
        '{{.TimeNano}} {{.Action}} {{.Actor.Attributes.name}} {{with index .Actor.Attributes "exitCode"}}exitCode={{.}}{{end}} {{with index .Actor.Attributes "signal"}}signal={{.}}{{end}}',
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let rest = "";
    this.events.stdout?.on("data", (chunk: Buffer) => {
      const text = rest + chunk.toString("utf8");
      const complete = text.split("\n");
      rest = complete.pop() ?? "";
      for (const line of complete) this.lines.push(eventLine(line));
    });
    this.events.stderr?.on("data", (chunk: Buffer) =>
      this.lines.push(`docker events: ${chunk.toString("utf8").trim()}`),
    );
  }

  /** Starts listening to the project's container events now. */
  static start(stack: E2EStack): RolloutEvidence {
    return new RolloutEvidence(stack);
  }

  /**
   * Stops listening; returns the events, the proxy's errors, failed tries of an upstream (its
   * debug log, PROXY_LOG_LEVEL) and reloads, and the containers, as text; how many tries failed;
   * and which containers exited, with their exit codes, in one line.
   */
  async stop(): Promise<{ text: string; failedTries: number; exits: string }> {
    // The last events reach the listener a moment after they happen.
    await new Promise((resolve) => setTimeout(resolve, 500));
    this.events.kill();
    const proxyLog = await this.stack.compose(["logs", "--no-color", "--since", this.since, "proxy"], {
      allowFailure: true,
    });
    const proxyLines = proxyLog.stdout.split("\n").flatMap((line) => {
      const entry = proxyEntry(line);
      return entry ? [entry] : [];
    });
    const failedTries = proxyLines.filter((line) => line.includes(" upstream roundtrip ")).length;
    const containers = await docker(
      [
        "container",
        "ls",
        "--all",
        "--filter",
        `label=com.docker.compose.project=${this.stack.project}`,
        "--format",
        "{{.Names}} {{.State}} ({{.Status}})",
      ],
      { allowFailure: true },
    );
    const text = [
      `container events since ${this.since}:`,
      ...this.lines.map((line) => `  ${line}`),
      `proxy errors, failed tries of an upstream (${failedTries}) and reloads (the last ${PROXY_LINES}):`,
      ...proxyLines.slice(-PROXY_LINES).map((line) => `  ${line}`),
      "containers now:",
      ...containers.stdout
        .split("\n")
        .filter(Boolean)
        .map((line) => `  ${line}`),
    ].join("\n");
    return { text, failedTries, exits: this.exits() };
  }

  /** "lhstack-e2e-deploy-web-2 exit 143, ..." for every container that died meanwhile, or "none". */
  private exits(): string {
    const died = this.lines.flatMap((line) => {
      const match = /^\S+ die (\S+) exitCode=(\d+)/.exec(line);
      return match ? [`${match[1]} exit ${match[2]}`] : [];
    });
    return died.join(", ") || "none";
  }
}

/** Caddy's JSON log fields the evidence shows. */
interface CaddyEntry {
  level?: string;
  ts?: number;
  logger?: string;
  msg?: string;
  upstream?: string;
  error?: string;
  status?: number;
  duration?: number;
  request?: { uri?: string };
}

/**
 * One line of `compose logs proxy` as `time level logger msg upstream error status duration uri`,
 * if it is an error, a failed try of an upstream, or a reload; undefined for anything else.
 */
function proxyEntry(line: string): string | undefined {
  const json = line.indexOf("{");
  if (json < 0) return undefined;
  let entry: CaddyEntry;
  try {
    entry = JSON.parse(line.slice(json)) as CaddyEntry;
  } catch {
    return undefined;
  }
  const failedTry = entry.msg === "upstream roundtrip" && entry.error !== undefined;
  const reload = entry.msg === "load complete" || entry.msg === "stopped previous server";
  if (!(entry.level === "error" || entry.level === "warn" || failedTry || reload)) return undefined;
  const at = entry.ts ? new Date(entry.ts * 1000).toISOString() : "?";
  return [
    at,
    entry.level,
    entry.logger,
    entry.msg,
    entry.upstream ? `upstream=${entry.upstream}` : "",
    entry.error && entry.error !== entry.msg ? `error=${JSON.stringify(entry.error)}` : "",
    entry.status ? `status=${entry.status}` : "",
    entry.duration !== undefined ? `duration=${entry.duration.toFixed(3)}s` : "",
    entry.request?.uri ? `uri=${entry.request.uri}` : "",
  ]
    .filter(Boolean)
    .join(" ");
}

/** `<ns> <action> <name> ...` with the time as ISO UTC. */
function eventLine(line: string): string {
  const [nanos = "", ...rest] = line.trim().split(" ");
  const ms = Number(nanos.slice(0, -6));
  const at = Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : nanos;
  return `${at} ${rest.join(" ").trim()}`;
}
