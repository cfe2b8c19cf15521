import type { CommandContext } from "../cli/command.ts";
import { ExitCode, OperationError } from "../cli/exit-codes.ts";
import { stateDirFor } from "../state/context.ts";
import { type LedgerContents, ReleaseLedger } from "./ledger.ts";
import type { Release } from "./release.ts";

/** Opens the environment's ledger and warns about every line it had to skip. */
export function readLedger(context: CommandContext): LedgerContents & { ledger: ReleaseLedger } {
  const ledger = new ReleaseLedger(stateDirFor(context));
  const contents = ledger.read();
  for (const skipped of contents.skipped) {
    context.out.warn(`${ledger.path}:${skipped.line}: skipped, ${skipped.reason}; the other entries are intact`);
  }
  return { ledger, ...contents };
}

/** "abc1234 verified 2026-11-25T10:15:00Z by alice (api=..., web=...) - note" */
export function describeRelease(release: Release): string {
  const images = Object.entries(release.images)
    .map(([service, ref]) => `${service}=${ref}`)
    .join(", ");
  const note = release.note ? ` - ${release.note}` : "";
  return `${release.commit} ${release.result} ${release.finishedAt} by ${release.by}${images ? ` (${images})` : ""}${note}`;
}

/**
 * Prints one chosen release: a description, then its commit as the last stdout line (what
 * scripts read), or one JSON object with --json. Fails clearly when there is none.
 */
export function printChosen(context: CommandContext, release: Release | undefined, missing: string): number {
  if (!release) throw new OperationError(missing);
  if (context.values.json) {
    context.out.result(JSON.stringify(release));
  } else {
    context.out.info(describeRelease(release));
    context.out.result(release.commit);
  }
  return ExitCode.ok;
}
