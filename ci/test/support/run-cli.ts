import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const LH_CI_BIN = fileURLToPath(new URL("../../bin/lh-ci.ts", import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Variables on top of a minimal environment (PATH, HOME); nothing else leaks in from the test runner. */
  env?: Record<string, string>;
  cwd?: string;
  /** Written to stdin, which is then closed (stdin is never a terminal here). */
  input?: string | Buffer;
  timeoutMs?: number;
}

/** Runs `lh-ci` as a real process, the way an operator or a container runs it. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--", LH_CI_BIN, ...args], {
      cwd: options.cwd ?? process.cwd(),
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...options.env },
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
    child.stdin.end(options.input ?? "");
  });
}
