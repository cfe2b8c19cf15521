import type { Command } from "../cli/command.ts";
import { printChosen, readLedger } from "../releases/describe.ts";
import { currentRelease } from "../releases/history.ts";

/** `lh-ci releases current`: the release running now (the last one that verified). */
export const releasesCurrent: Command = {
  name: "releases current",
  summary: "print the current release's commit (the last verified release not rolled back)",
  help: `Usage: lh-ci releases current [--env staging] [--json]

The last line of stdout is the commit SHA; with --json one JSON object (the ledger entry).
Exit 1 when the ledger has no verified release.`,
  async run(context) {
    const { releases, ledger } = readLedger(context);
    return printChosen(
      context,
      currentRelease(releases),
      `no verified release in ${ledger.path} (${releases.length} entries); deploy one, or record it with lh-ci releases record --result verified`,
    );
  },
};
