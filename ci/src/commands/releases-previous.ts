import type { Command } from "../cli/command.ts";
import { printChosen, readLedger } from "../releases/describe.ts";
import { currentRelease, previousRelease } from "../releases/history.ts";

/** `lh-ci releases previous`: the rollback target (the runbook's "previous stable commit"). */
export const releasesPrevious: Command = {
  name: "releases previous",
  summary: "print the rollback target: the last verified release before the current one",
  help: `Usage: lh-ci releases previous [--env staging] [--json]

The last verified release before the current one, of a different commit, skipping releases that
were rolled back since. The last line of stdout is the commit SHA; with --json one JSON object.
Exit 1 when there is none (nothing to roll back to).`,
  async run(context) {
    const { releases, ledger } = readLedger(context);
    const current = currentRelease(releases);
    const missing = current
      ? `no verified release before the current one (${current.commit}) in ${ledger.path}; there is nothing to roll back to, deploy a fixed commit instead`
      : `no verified release in ${ledger.path} (${releases.length} entries); there is nothing to roll back to`;
    return printChosen(context, previousRelease(releases), missing);
  },
};
