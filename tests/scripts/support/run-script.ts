import { chmodSync, cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { minimalEnvironment, type ProcessResult, runProcess } from "../../../ci/test/support/run-process.ts";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url)).replace(/\/$/, "");
export const SCRIPTS_DIR = join(REPO_ROOT, "scripts");

export type ScriptResult = ProcessResult;

export interface ScriptOptions {
  cwd?: string;
  /** Variables on top of a minimal environment (PATH, HOME): nothing leaks in from the test runner. */
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** Runs an operator script as a real process with bash, stdin closed (never a terminal). */
export function runScript(script: string, args: string[], options: ScriptOptions = {}): Promise<ScriptResult> {
  return runProcess("bash", [script, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: minimalEnvironment(options.env),
    timeoutMs: options.timeoutMs,
  });
}

/**
 * Runs an operator script on a pseudo-terminal (util-linux `script`), typing `input`, for the
 * paths that ask the operator to confirm. Output arrives merged, as on a terminal.
 */
export function runScriptOnTerminal(
  script: string,
  args: string[],
  input: string,
  options: ScriptOptions = {},
): Promise<ScriptResult> {
  const quote = (word: string): string => `'${word.replaceAll("'", "'\\''")}'`;
  const command = ["bash", script, ...args].map(quote).join(" ");
  return runProcess("script", ["--quiet", "--return", "--command", command, "/dev/null"], {
    cwd: options.cwd ?? REPO_ROOT,
    env: minimalEnvironment({ TERM: "dumb", ...options.env }),
    input,
    timeoutMs: options.timeoutMs,
  });
}

/**
 * A copy of the scripts in a directory of its own, laid out like the repository (scripts/ and a
 * node_modules that is the real one), so that a test can let a script write backups/ there.
 */
export function scriptsCopy(root: string): string {
  cpSync(SCRIPTS_DIR, join(root, "scripts"), { recursive: true });
  symlinkSync(join(REPO_ROOT, "node_modules"), join(root, "node_modules"));
  return join(root, "scripts");
}

/**
 * A stand-in for the Dagger CLI, which cannot run on this machine (no engine): it records its
 * working directory and arguments, one per line, and exits with FAKE_DAGGER_EXIT. For
 * `backup-files ... export --path DIR` it leaves what the real export leaves: a backup named like
 * the module names it, with its sidecar, in DIR (relative to its working directory).
 */
export function fakeDagger(dir: string): { bin: string; calls: () => string[][] } {
  mkdirSync(dir, { recursive: true });
  const bin = join(dir, "dagger");
  const log = join(dir, "calls.log");
  writeFileSync(log, "");
  writeFileSync(
    bin,
    `#!/usr/bin/env bash
set -euo pipefail
{ printf 'cwd=%s\\n' "$PWD"; printf '%s\\n' "$@"; printf -- '--end--\\n'; } >>${JSON.stringify(log)}
if [[ "\${FAKE_DAGGER_EXPORT:-yes}" == yes && " $* " == *" backup-files "* && " $* " == *" export --path "* ]]; then
  dir="\${*: -1}"
  name="lawyers_hub_staging_$(date -u +%Y%m%dT%H%M%SZ).sql"
  mkdir -p "$dir"
  printf -- '-- PostgreSQL database dump complete\\n' >"$dir/$name"
  printf '{"environment":"staging"}\\n' >"$dir/$name.json"
fi
exit "\${FAKE_DAGGER_EXIT:-0}"
`,
  );
  chmodSync(bin, 0o755);
  const calls = (): string[][] =>
    readFileSync(log, "utf8")
      .split("--end--\n")
      .filter((call) => call.length > 0)
      .map((call) => call.replace(/\n$/, "").split("\n"));
  return { bin, calls };
}
