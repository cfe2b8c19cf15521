import { spawn } from "node:child_process";
import { REPO_ROOT } from "./paths.ts";

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for messages and the secret scan. */
  output: string;
}

/**
 * Everything any command of the e2e printed, kept for the final scan: no canary secret may appear
 * in any of it.
 */
export const transcript: string[] = [];

export interface RunOptions {
  timeoutMs?: number;
  /** Resolve with the result instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
  input?: string;
  env?: NodeJS.ProcessEnv;
}

/** Runs a command (an argument array, no shell) from the repository root and collects its output. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd: REPO_ROOT,
      env: options.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
      timeout: timeoutMs,
      killSignal: "SIGKILL",
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const result = {
        code,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        output: "",
      };
      result.output = `${result.stdout}${result.stderr}`;
      transcript.push(`$ ${command} ${args.join(" ")}\n${result.output}`);
      if (code === 0 || options.allowFailure) return resolve(result);
      const why = signal ? `killed by ${signal} (timeout ${timeoutMs} ms?)` : `exit ${code}`;
      reject(new Error(`${command} ${args.join(" ")}: ${why}\n${result.output.slice(-4000)}`));
    });
    // A child that exits without reading its input makes the write fail (EPIPE): its exit code and
    // output are the answer, not an uncaught error of the test run.
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
  });
}

export function docker(args: readonly string[], options?: RunOptions): Promise<CommandResult> {
  return run("docker", args, options);
}

/** Whether a Docker engine answers, and if not, why (for the runner's message). */
export async function engineProblem(): Promise<string | undefined> {
  try {
    const info = await docker(["version", "--format", "{{.Server.Version}}"], {
      timeoutMs: 15_000,
      allowFailure: true,
    });
    if (info.code !== 0) return `no Docker engine answers: ${info.output.trim().split("\n").at(-1)}`;
    const compose = await docker(["compose", "version", "--short"], { timeoutMs: 15_000, allowFailure: true });
    if (compose.code !== 0) return "the Docker CLI has no compose plugin (Compose v2)";
    return undefined;
  } catch (error) {
    return `the docker CLI cannot run: ${(error as Error).message}`;
  }
}
