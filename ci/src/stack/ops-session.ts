/**
 * The host's end of `lh-ci session`: one ops container for a whole deploy instead of one
 * `docker compose run --rm ops` per step (each costs a container's creation, start and removal,
 * about 0.5 s, plus Node's start). Requests go one at a time; each answer's progress lines are
 * shown as the executor shows a command's, through the redactor.
 */
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import {
  BoundedLines,
  encodeRequest,
  MAX_ANSWER_BYTES,
  ProtocolError,
  parseAnswer,
  type SessionAnswer,
} from "../session/protocol.ts";
import { formatDuration } from "../state/duration.ts";
import type { CommandLine } from "./command-line.ts";
import {
  type CommandFailed,
  DEFAULT_TIMEOUT_MS,
  type Executor,
  type RunOptions,
  type RunResult,
  STDERR_TAIL,
} from "./executor.ts";

/** How long the session may take to stop (and compose to remove its container) once told to. */
const CLOSE_TIMEOUT_MS = 60_000;

interface Pending {
  args: readonly string[];
  options: RunOptions;
  stderr: string;
  resolve(result: RunResult): void;
  reject(error: Error): void;
}

export class OpsSession {
  readonly #exec: Executor;
  readonly #child: ChildProcessWithoutNullStreams;
  /** How the session's container is shown in messages (redacted). */
  readonly label: string;
  #queue: Promise<unknown> = Promise.resolve();
  #pending: Pending | undefined;
  /** Set once the container is gone: why, for every later request. */
  #ended: string | undefined;
  #childStderr = "";
  readonly #exited: Promise<void>;

  private constructor(exec: Executor, command: CommandLine, label: string) {
    this.#exec = exec;
    this.label = label;
    this.#child = exec.start(command);
    const answers = new BoundedLines(MAX_ANSWER_BYTES, "lh-ci session's answers");
    this.#child.stdout.setEncoding("utf8");
    this.#child.stdout.on("data", (text: string) => {
      try {
        for (const line of answers.push(text)) this.#answer(parseAnswer(line));
      } catch (error) {
        this.#fail(error instanceof ProtocolError ? error.message : String(error));
        this.#child.kill("SIGTERM");
      }
    });
    // compose's own lines (creating the container, a pull refused): progress, and the error's tail.
    this.#child.stderr.setEncoding("utf8");
    this.#child.stderr.on("data", (text: string) => {
      this.#childStderr = (this.#childStderr + text).slice(-STDERR_TAIL);
      for (const line of text.split("\n")) if (line.trim() !== "") exec.out.info(`  ${line}`);
    });
    this.#child.stdin.on("error", () => {});
    this.#exited = new Promise((resolve) => {
      this.#child.on("error", (error) => {
        this.#fail(`could not start: ${error.message}`);
        resolve();
      });
      this.#child.on("close", (code, signal) => {
        this.#fail(signal ? `was killed by ${signal}` : `ended with exit code ${code}`);
        resolve();
      });
    });
  }

  /** Why the session's container is gone, once it is. */
  get ended(): string | undefined {
    return this.#ended;
  }

  /** Starts the session's container; requests wait for it to be ready. */
  static open(exec: Executor, command: CommandLine, label: string): OpsSession {
    exec.out.info(`Starting ${label}: ${exec.describe(command)}`);
    return new OpsSession(exec, command, label);
  }

  /** Runs `lh-ci <args>` in the session; resolves with its exit code, stdout and stderr. */
  run(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const result = this.#queue.then(() => this.#send(args, options));
    this.#queue = result.catch(() => {});
    return result;
  }

  /** Ends the session: stdin closes, lh-ci exits, compose removes the container. */
  async close(): Promise<void> {
    if (this.#ended === undefined) this.#child.stdin.end();
    const timer = setTimeout(() => this.#child.kill("SIGTERM"), CLOSE_TIMEOUT_MS);
    await this.#exited;
    clearTimeout(timer);
  }

  #send(args: readonly string[], options: RunOptions): Promise<RunResult> {
    if (this.#ended !== undefined) return Promise.reject(this.#error(args, this.#ended, this.#childStderr));
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#fail(`did not answer within ${formatDuration(timeoutMs)}`);
        this.#child.kill("SIGTERM");
      }, timeoutMs);
      const done =
        <T>(settle: (value: T) => void) =>
        (value: T) => {
          clearTimeout(timer);
          this.#pending = undefined;
          settle(value);
        };
      this.#pending = { args, options, stderr: "", resolve: done(resolve), reject: done(reject) };
      this.#child.stdin.write(encodeRequest(args));
    });
  }

  #answer(answer: SessionAnswer): void {
    const pending = this.#pending;
    if (!pending) throw new ProtocolError("lh-ci session answered when nothing was asked");
    const show = pending.options.show ?? "progress";
    if ("err" in answer) {
      pending.stderr = (pending.stderr + answer.err + "\n").slice(-STDERR_TAIL);
      if (show !== "none") this.#exec.out.info(`  ${answer.err}`);
      return;
    }
    if (!pending.options.quietStdout && show !== "none") {
      for (const line of answer.stdout.split("\n").filter((text) => text !== "")) {
        if (show === "result") this.#exec.out.result(line);
        else this.#exec.out.info(`  ${line}`);
      }
    }
    pending.resolve({ code: answer.code, stdout: answer.stdout, stderr: pending.stderr });
  }

  /** The container is gone or misbehaved: the request in flight, and every later one, fails. */
  #fail(why: string): void {
    if (this.#ended === undefined) this.#ended = why;
    const pending = this.#pending;
    if (pending) pending.reject(this.#error(pending.args, why, `${pending.stderr}${this.#childStderr}`));
  }

  #error(args: readonly string[], why: string, stderr: string): CommandFailed {
    const command = args
      .filter((arg) => !arg.startsWith("-"))
      .slice(0, 2)
      .join(" ");
    return this.#exec.failed(`lh-ci ${command} (in ${this.label})`, why, undefined, stderr);
  }
}
