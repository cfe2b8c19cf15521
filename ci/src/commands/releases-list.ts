import type { Command } from "../cli/command.ts";
import { ExitCode, UsageError } from "../cli/exit-codes.ts";
import { describeRelease, readLedger } from "../releases/describe.ts";

/** `lh-ci releases list`: the ledger, newest first. */
export const releasesList: Command = {
  name: "releases list",
  summary: "list recorded releases, newest first",
  help: `Usage: lh-ci releases list [--env staging] [--limit 20] [--json]

  --limit N   show the N newest (default 20; 0 for all)

One line per release: commit, result, finished at, by whom, images, note. With --json a JSON array.`,
  options: { limit: { type: "string", default: "20" } },
  async run(context) {
    const limit = Number(context.values.limit);
    if (!Number.isInteger(limit) || limit < 0) throw new UsageError("--limit: must be a whole number (0 for all)");
    const { releases, ledger } = readLedger(context);
    const newest = releases.slice().reverse();
    const shown = limit === 0 ? newest : newest.slice(0, limit);
    if (context.values.json) {
      context.out.result(JSON.stringify(shown));
    } else if (shown.length === 0) {
      context.out.info(`no releases recorded in ${ledger.path}`);
    } else {
      for (const release of shown) context.out.result(describeRelease(release));
    }
    return ExitCode.ok;
  },
};
