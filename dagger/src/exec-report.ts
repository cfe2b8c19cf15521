/**
 * What a failed `lh-ci` call reports. Dagger's own error for a failed exec says only "exit code N";
 * the module runs each call with `expect: ReturnType.Any` and builds the message here instead
 * (plain TypeScript, tested without an engine). lh-ci has already redacted its own output.
 */
import { commandName } from "./commands.ts";

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The most of each stream a message carries: the end, where the reason is. */
export const MAX_LINES = 80;
export const MAX_CHARS = 16_000;

const MEANING: Record<number, string> = {
  1: "the operation failed",
  2: "usage or configuration error: nothing was changed",
};

/** The last lines of a stream, within MAX_LINES and MAX_CHARS, saying how much was left out. */
export function tail(text: string): string {
  const lines = text.replace(/\s+$/, "").split("\n");
  let kept = lines.slice(-MAX_LINES).join("\n");
  if (kept.length > MAX_CHARS) kept = kept.slice(-MAX_CHARS);
  const dropped = text.trimEnd().length - kept.length;
  return dropped > 0 ? `[... ${dropped} earlier characters left out]\n${kept}` : kept;
}

export function failureMessage(args: readonly string[], result: ExecResult): string {
  const meaning = MEANING[result.exitCode] ?? "unexpected exit code";
  const parts = [`${commandName(args)} failed (exit ${result.exitCode}: ${meaning})`];
  if (result.stderr.trim()) parts.push(`--- its stderr ---\n${tail(result.stderr)}`);
  if (result.stdout.trim()) parts.push(`--- its stdout ---\n${tail(result.stdout)}`);
  if (!result.stderr.trim() && !result.stdout.trim()) parts.push("(it printed nothing)");
  return parts.join("\n");
}
