import type { Command } from "../cli/command.ts";
import { ExitCode, UsageError } from "../cli/exit-codes.ts";
import { DeployLock, describeCorrupt, describeLock } from "../lock/deploy-lock.ts";
import { actor, stateDirFor } from "../state/context.ts";
import { formatDuration, parseDuration } from "../state/duration.ts";

/** A lock shorter than a second expires before the deploy starts; one longer than a week is a forgotten lock. */
const TTL_MIN_MS = 1000;
const TTL_MAX_MS = 7 * 24 * 3_600_000;

function ttlOption(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new UsageError(`--ttl: "${value}" is not a duration; write e.g. 30m, 1h or 90s`);
  if (ms < TTL_MIN_MS || ms > TTL_MAX_MS) {
    throw new UsageError(
      `--ttl: "${value}" is out of range; use between ${formatDuration(TTL_MIN_MS)} and ${formatDuration(TTL_MAX_MS)}, e.g. 30m`,
    );
  }
  return ms;
}

/** `lh-ci lock acquire`: takes the environment's deploy lock, or says who holds it. */
export const lockAcquire: Command = {
  name: "lock acquire",
  summary: "take the environment's deploy lock (fails, naming the holder, when it is held)",
  help: `Usage: lh-ci lock acquire [--env staging] [--owner WHO] [--reason TEXT] [--commit SHA] [--ttl 30m] [--force]

  --owner WHO     who takes the lock (default: $GITHUB_ACTOR as github:NAME, else USER@host);
                  release it with the same --owner
  --reason TEXT   why, shown to anyone who finds the lock held
  --commit SHA    the commit being deployed
  --ttl DURATION  how long the lock holds without a release, e.g. 30m, 1h (default 30m,
                  from 1s to 168h); an expired lock may be taken over, with a notice
  --force         take the lock even from an unexpired holder (says whose lock was broken),
                  or replace a corrupt lock file

The lock is the file deploy.lock in the state directory (LH_STATE_DIR, default .lh-state/<env>),
not in the database: it works while the database is down and survives a restore.
A lock file that holds no valid lock (null, {}, an expiry that is not a time) is corrupt: acquire
refuses it and names the way out; --force replaces it.
Exit 0 when acquired, 1 when held by someone else or corrupt, 2 for a bad --ttl.`,
  options: {
    owner: { type: "string" },
    reason: { type: "string" },
    commit: { type: "string" },
    ttl: { type: "string", default: "30m" },
    force: { type: "boolean", default: false },
  },
  async run(context) {
    const { values, out, envName } = context;
    const ttlMs = ttlOption(String(values.ttl));
    const lock = new DeployLock(stateDirFor(context));
    const result = await lock.acquire({
      owner: actor(context, values.owner),
      reason: values.reason as string | undefined,
      commit: values.commit as string | undefined,
      ttlMs,
      force: Boolean(values.force),
    });

    if (values.json) out.result(JSON.stringify({ env: envName, ...result }));
    if (result.outcome === "held") {
      out.error(
        `the ${envName} deploy lock is ${describeLock(result.holder)}; wait for it, ask its holder, or break it with lh-ci lock release --force`,
      );
      return ExitCode.failed;
    }
    if (result.outcome === "corrupt") {
      out.error(`the ${envName} deploy lock cannot be taken: ${describeCorrupt(lock.path, result.problem)}`);
      return ExitCode.failed;
    }
    if (result.outcome === "replaced-corrupt") {
      out.warn(`replaced (--force) the corrupt ${envName} lock file ${lock.path} (${result.problem})`);
    }
    if (result.outcome === "taken-over") {
      const why = values.force ? "broke (--force)" : "took over the expired";
      out.warn(`${why} ${envName} deploy lock that was ${describeLock(result.previous)}`);
    }
    if (!values.json) out.result(`acquired the ${envName} deploy lock: ${describeLock(result.lock)}`);
    return ExitCode.ok;
  },
};
