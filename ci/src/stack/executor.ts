/**
 * The one place that runs command lines (Kamal's cli/ side): each as a child process, with the
 * engine named by DOCKER_HOST (unset: the local socket; `ssh://` is Docker's own SSH transport),
 * its output streamed line by line through the redactor, a time bound, and errors that carry the
 * command and the tail of its stderr, redacted. Never a shell.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import type { Writable } from "node:stream";
import { OperationError } from "../cli/exit-codes.ts";
import type { Output } from "../output/output.ts";
import { formatDuration } from "../state/duration.ts";
import { type CommandLine, formatCommandLine } from "./command-line.ts";

/** Bounds on what is kept in memory: stdout for parsing, stderr for the error message. */
const STDOUT_LIMIT = 8 * 1024 * 1024;
export const STDERR_TAIL = 16 * 1024;
/** Without a timeout of its own, a command may run this long (compose up has its own wait). */
export const DEFAULT_TIMEOUT_MS = 15 * 60_000;
/** After SIGTERM, how long a command may take to stop before SIGKILL. */
const KILL_GRACE_MS = 10_000;

export interface RunOptions {
  /** stdin: a stream to pipe in (a file, another command's stdout); default none. */
  input?: NodeJS.ReadableStream;
  /** Raw stdout goes here (a backup copied out), neither captured nor shown. */
  stdoutTo?: Writable;
  /** Where the streamed lines are shown: progress on stderr (default), the result on stdout, or nowhere. */
  show?: "progress" | "result" | "none";
  /** Show stderr lines only (stdout is data the caller parses, e.g. JSON). */
  quietStdout?: boolean;
  timeoutMs?: number;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A command that exited non-zero, could not start, or ran out of time. Message already redacted. */
export class CommandFailed extends OperationError {
  override name = "CommandFailed";
  readonly code: number | undefined;
  readonly stderr: string;

  constructor(message: string, code: number | undefined, stderr: string) {
    super(message);
    this.code = code;
    this.stderr = stderr;
  }
}

/** Calls `onLine` for every complete line of a stream, and for the rest at the end. */
class LineSplitter {
  #pending = "";
  readonly onLine: (line: string) => void;

  constructor(onLine: (line: string) => void) {
    this.onLine = onLine;
  }

  push(text: string): void {
    const lines = (this.#pending + text).split(/\r?\n|\r/);
    this.#pending = lines.pop() ?? "";
    for (const line of lines) this.onLine(line);
  }

  end(): void {
    if (this.#pending !== "") this.onLine(this.#pending);
    this.#pending = "";
  }
}

/**
 * The environment handed to every child, without its empty variables. `docker compose` prefers a
 * shell variable to the --env-file, even an empty one, and CI sets an undefined secret or
 * variable to "": handed on, it would blank the env file's value (`${OPENAI_API_KEY:-}`) or abort
 * mid-deploy (`${DATABASE_URL:?}`). An empty variable means "not given" here.
 */
export function childEnvironment(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ""),
  );
}

export class Executor {
  readonly out: Output;
  readonly #env: Record<string, string>;

  /** @param env the environment of every child (DOCKER_HOST, secrets that win over the env file); empty variables are dropped */
  constructor(out: Output, env: Record<string, string | undefined>) {
    this.out = out;
    this.#env = childEnvironment(env);
  }

  /** The command line as shown in messages: redacted. */
  describe(command: CommandLine): string {
    return this.out.redactor.redact(formatCommandLine(command));
  }

  /** Runs a command; fails (CommandFailed) unless it exits 0. */
  async run(command: CommandLine, options: RunOptions = {}): Promise<RunResult> {
    const result = await this.attempt(command, options);
    if (result.code !== 0) throw this.failure(command, `exited with ${result.code}`, result.code, result.stderr);
    return result;
  }

  /** Runs a command whose exit code is an answer: only a failure to start or a timeout throws. */
  attempt(command: CommandLine, options: RunOptions = {}): Promise<RunResult> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const child = spawn(command.program, [...command.args], {
        env: { ...this.#env, ...command.env },
        stdio: ["pipe", "pipe", "pipe"],
      });
      const show = options.show ?? "progress";
      const print = (line: string) => {
        if (show === "result") this.out.result(line);
        else if (show === "progress") this.out.info(`  ${line}`);
      };
      let stdout = "";
      let stdoutBytes = 0;
      let stderr = "";
      const outLines = new LineSplitter(options.quietStdout ? () => {} : print);
      const errLines = new LineSplitter(show === "result" ? (line) => this.out.info(`  ${line}`) : print);

      if (options.stdoutTo) {
        child.stdout.pipe(options.stdoutTo, { end: false });
      } else {
        child.stdout.setEncoding("utf8");
        child.stdout.on("data", (text: string) => {
          stdoutBytes += Buffer.byteLength(text);
          if (stdoutBytes <= STDOUT_LIMIT) stdout += text;
          outLines.push(text);
        });
      }
      child.stderr.setEncoding("utf8");
      child.stderr.on("data", (text: string) => {
        stderr = (stderr + text).slice(-STDERR_TAIL);
        errLines.push(text);
      });
      // The consumer may exit before reading everything (an error): that is its exit code's story.
      child.stdin.on("error", () => {});
      if (options.input) options.input.pipe(child.stdin);
      else child.stdin.end();

      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), KILL_GRACE_MS).unref();
      }, timeoutMs);
      child.on("error", (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const hint =
          error.code === "ENOENT"
            ? `${command.program} was not found on PATH; install the Docker CLI with its compose plugin`
            : error.message;
        reject(this.failure(command, `could not start: ${hint}`, undefined, ""));
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        outLines.end();
        errLines.end();
        if (stdoutBytes > STDOUT_LIMIT) {
          reject(this.failure(command, `printed more than ${STDOUT_LIMIT} bytes on stdout`, undefined, stderr));
        } else if (timedOut) {
          reject(this.failure(command, `did not finish within ${formatDuration(timeoutMs)}`, undefined, stderr));
        } else if (code === null) {
          reject(this.failure(command, `was killed by ${signal}`, undefined, stderr));
        } else {
          resolve({ code, stdout, stderr });
        }
      });
    });
  }

  /** Starts a long-running command (the ops session) whose stdio the caller drives. */
  start(command: CommandLine): ChildProcessWithoutNullStreams {
    return spawn(command.program, [...command.args], {
      env: { ...this.#env, ...command.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
  }

  /** `producer | consumer` without a shell: both must exit 0. */
  async pipe(producer: CommandLine, consumer: CommandLine, options: RunOptions = {}): Promise<RunResult> {
    const child = spawn(producer.program, [...producer.args], {
      env: { ...this.#env, ...producer.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (text: string) => {
      stderr = (stderr + text).slice(-STDERR_TAIL);
    });
    const produced = new Promise<void>((resolve, reject) => {
      child.on("error", (error) => reject(this.failure(producer, `could not start: ${error.message}`, undefined, "")));
      child.on("close", (code) =>
        code === 0 ? resolve() : reject(this.failure(producer, `exited with ${code}`, code ?? undefined, stderr)),
      );
    });
    const consumed = this.run(consumer, { ...options, input: child.stdout });
    // A consumer that fails stops reading: end the producer rather than leave it blocked on the pipe.
    consumed.catch(() => child.kill("SIGTERM"));
    const [, result] = await Promise.all([produced, consumed]);
    return result;
  }

  private failure(command: CommandLine, what: string, code: number | undefined, stderr: string): CommandFailed {
    return this.failed(this.describe(command), what, code, stderr);
  }

  /** The error for `label` (a command as shown, already redacted) that `what`, with its stderr's tail. */
  failed(label: string, what: string, code: number | undefined, stderr: string): CommandFailed {
    const tail = lastLines(this.out.redactor.redact(stderr));
    return new CommandFailed(`${label} ${what}${tail ? `: ${tail}` : ""}`, code, this.out.redactor.redact(stderr));
  }
}

/** The last meaningful lines of stderr, on one line, for an error message. */
export function lastLines(text: string, count = 5): string {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(-count)
    .join(" / ");
}
