import type { Command } from "../cli/command.ts";
import { BROWSER_HELP, BROWSER_OPTIONS, browserOption } from "../stack/browser-option.ts";
import { Executor } from "../stack/executor.ts";
import { RUN_SERVICES } from "../stack/images.ts";
import { opsRelease } from "../stack/ops-release.ts";
import { resolveRelease } from "../stack/release-name.ts";
import { durationOption } from "../stack/release-option.ts";
import { printReport, progressLines } from "../stack/report.ts";
import { runRollback } from "../stack/rollback-flow.ts";
import { STACK_HELP, STACK_OPTIONS, stackSettings } from "../stack/settings.ts";
import { Stack } from "../stack/stack.ts";
import { verifyRelease } from "../stack/verify-release.ts";

/** `lh-ci rollback`: bring a retained earlier release back, verify it, record it. */
export const rollback: Command = {
  name: "rollback",
  summary: "redeploy a retained earlier release (default the previous verified one) and verify it",
  help: `Usage: lh-ci rollback [--env staging] [--to SHA] [--release SHA] [--operator WHO]
                   [--verify-timeout 120s] [--no-browser] [--browser-report DIR]
                   [--json] [--summary FILE] [stack options]

Takes the deploy lock, picks the previous verified release of the ledger (or --to, a full or
short commit SHA of the ledger), checks its images are still on the engine (the last five
releases keep theirs), runs docker compose up --wait with them, verifies in the stack's network and looks at the web
page in a browser (with the browser check image of --release),
records the release rolled away from as rolled-back and the target as verified, and releases the
lock. The database schema is left as it is: migrations are forward-only, so check that the older
release works with it.

Options:
  --to SHA                   the release to go back to (default: lh-ci releases previous)
  --release SHA              whose ops image reads the lock and the ledger (default: the
                             release running now)
  --operator WHO             who rolls back, for the lock and the ledger
  --verify-timeout DURATION  lh-ci verify's deadline (default 120s)
${BROWSER_HELP}
  --summary FILE             append the report as Markdown (e.g. "$GITHUB_STEP_SUMMARY")

${STACK_HELP}

Exit 0 when the target runs and verified, 1 otherwise.`,
  options: {
    ...STACK_OPTIONS,
    to: { type: "string" },
    release: { type: "string" },
    operator: { type: "string" },
    "verify-timeout": { type: "string", default: "120s" },
    summary: { type: "string" },
    ...BROWSER_OPTIONS,
  },
  async run(context) {
    const { values, out, processEnv } = context;
    const verifyTimeout = durationOption(values["verify-timeout"], "--verify-timeout");
    const settings = stackSettings(context);
    const stack = new Stack(settings, new Executor(out, processEnv));
    const ops = await opsRelease(stack, values.release);
    const browser = { ...browserOption(context), checker: ops };
    const to = typeof values.to === "string" ? resolveRelease(values.to, await stack.ledgerCommits(ops)) : undefined;
    out.info(`Rolling ${settings.env} back to ${to ?? "the previous verified release"}...`);
    const report = await runRollback(
      {
        // The lock and the ledger in one ops container; the target's verify gets its own.
        lock: () => stack.lockInSession(ops, ops, `lh-ci rollback${to ? ` --to ${to}` : ""}`),
        unlock: () => stack.unlockAndCloseSession(ops),
        currentRelease: () => stack.ledgerRelease(ops, "current"),
        previousRelease: () => stack.ledgerRelease(ops, "previous"),
        up: async (release) => {
          const missing = await stack.missingImages(release, RUN_SERVICES);
          if (missing.length > 0) {
            throw new Error(
              `the images of ${release} are not on the engine (${missing.join(", ")}); only the last five releases keep theirs: deploy that commit instead`,
            );
          }
          const outcome = await stack.up(release);
          return outcome.kind === "rollout"
            ? `start-first rollout of ${outcome.services.join(", ")} (${release}): new containers healthy, old ones drained`
            : `compose up --wait (${release})`;
        },
        verify: (release) => verifyRelease(stack, release, { timeout: verifyTimeout, browser }),
        record: (entry) => stack.record(ops, entry),
      },
      { ...(to ? { to } : {}), onStep: progressLines(context, "rollback") },
    );
    return printReport(context, report, `rollback of ${settings.env}`);
  },
};
