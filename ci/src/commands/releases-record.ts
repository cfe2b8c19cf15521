import type { Command } from "../cli/command.ts";
import { ExitCode, UsageError } from "../cli/exit-codes.ts";
import { describeRelease } from "../releases/describe.ts";
import { ReleaseLedger } from "../releases/ledger.ts";
import { isCommit, RELEASE_RESULTS, type Release, type ReleaseResult } from "../releases/release.ts";
import { actor, stateDirFor } from "../state/context.ts";

function isoOption(name: string, value: unknown): string {
  const text = String(value);
  const time = Date.parse(text);
  if (!/^\d{4}-\d\d-\d\dT/.test(text) || Number.isNaN(time)) {
    throw new UsageError(`--${name}: "${text}" is not an ISO 8601 time; write e.g. 2026-11-25T10:15:00Z`);
  }
  return new Date(time).toISOString();
}

function parseImages(values: unknown): Record<string, string> {
  const images: Record<string, string> = {};
  for (const pair of (values as string[] | undefined) ?? []) {
    const [service, ref] = [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)];
    if (!pair.includes("=") || !service || !ref) {
      throw new UsageError(`--image: "${pair}" is not SERVICE=REF; write e.g. --image api=lawyers-hub/api:<sha>`);
    }
    images[service] = ref;
  }
  return images;
}

/** `lh-ci releases record`: appends one deploy to the environment's ledger. */
export const releasesRecord: Command = {
  name: "releases record",
  summary: "append a deploy to the release ledger (commit, images, who, when, result)",
  help: `Usage: lh-ci releases record --commit SHA --image SERVICE=REF [--image ...] [--by WHO]
         --started ISO [--finished ISO] --result verified|failed|rolled-back [--note TEXT]

  --commit SHA       the deployed commit (7 to 40 hex digits)
  --image S=REF      an image of the release, repeatable (api=lawyers-hub/api:<sha>)
  --by WHO           who deployed (default: $GITHUB_ACTOR as github:NAME, else USER@host)
  --started ISO      when the deploy started; --finished ISO when it ended (default now)
  --result R         verified (passed lh-ci verify), failed (did not), or rolled-back
                     (this commit was rolled away from; it no longer counts as a rollback target)
  --note TEXT        free text, e.g. "rollback from abc1234"

The ledger is releases.jsonl in the state directory (LH_STATE_DIR, default .lh-state/<env>),
append-only and safe against concurrent writers.`,
  options: {
    commit: { type: "string" },
    image: { type: "string", multiple: true },
    by: { type: "string" },
    started: { type: "string" },
    finished: { type: "string" },
    result: { type: "string" },
    note: { type: "string" },
  },
  async run(context) {
    const { values, out } = context;
    const commit = String(values.commit ?? "");
    if (!isCommit(commit)) throw new UsageError("--commit: required, the deployed commit SHA (7 to 40 hex digits)");
    if (values.started === undefined) throw new UsageError("--started: required, when the deploy started (ISO 8601)");
    const result = String(values.result ?? "");
    if (!RELEASE_RESULTS.includes(result as ReleaseResult)) {
      throw new UsageError(`--result: required, one of ${RELEASE_RESULTS.join(", ")}`);
    }
    const now = new Date().toISOString();
    const release: Release = {
      commit,
      images: parseImages(values.image),
      by: actor(context, values.by),
      startedAt: isoOption("started", values.started),
      finishedAt: values.finished === undefined ? now : isoOption("finished", values.finished),
      result: result as ReleaseResult,
      ...(values.note ? { note: String(values.note) } : {}),
      recordedAt: now,
    };
    const ledger = new ReleaseLedger(stateDirFor(context));
    ledger.append(release);
    if (values.json) out.result(JSON.stringify(release));
    else out.result(`recorded in ${ledger.path}: ${describeRelease(release)}`);
    return ExitCode.ok;
  },
};
