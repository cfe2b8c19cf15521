import { spawn } from "node:child_process";

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface ProcessOptions {
  cwd?: string;
  /** The child's whole environment (default: the test runner's). */
  env?: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed (stdin is never a terminal here). */
  input?: string | Buffer;
  timeoutMs?: number;
}

/** Only PATH and HOME from the test runner, plus `extra`: nothing else leaks into the child. */
export function minimalEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...extra };
}

/** Runs a command as a real process and collects its exit code and output. */
export function runProcess(command: string, args: string[], options: ProcessOptions = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? process.cwd(),
      env: options.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
      timeout: options.timeoutMs ?? 60_000,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({ code, stdout: Buffer.concat(stdout).toString("utf8"), stderr: Buffer.concat(stderr).toString("utf8") }),
    );
    // A child that exits without reading its input makes the write fail (EPIPE): its exit code and
    // output are the answer, not an uncaught error of the test run.
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
  });
}
