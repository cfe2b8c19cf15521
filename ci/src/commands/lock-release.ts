import type { Command } from "../cli/command.ts";
import { ExitCode } from "../cli/exit-codes.ts";
import { DeployLock, describeCorrupt, describeLock } from "../lock/deploy-lock.ts";
import { actor, stateDirFor } from "../state/context.ts";

/** `lh-ci lock release`: gives the deploy lock back (only its holder, or with --force). */
export const lockRelease: Command = {
  name: "lock release",
  summary: "release the environment's deploy lock (only by its holder, or with --force)",
  help: `Usage: lh-ci lock release [--env staging] [--owner WHO] [--force]

  --owner WHO   the holder releasing it (default as for lock acquire)
  --force       release it whoever holds it (says whose lock was broken)

Releasing a lock nobody holds is not an error (the pipeline releases in every outcome).
Exit 0 when released or free, 1 when someone else holds it.`,
  options: {
    owner: { type: "string" },
    force: { type: "boolean", default: false },
  },
  async run(context) {
    const { values, out, envName } = context;
    const owner = actor(context, values.owner);
    const lock = new DeployLock(stateDirFor(context));
    const result = await lock.release(owner, Boolean(values.force));
    if (values.json) out.result(JSON.stringify({ env: envName, ...result }));
    switch (result.outcome) {
      case "not-held":
        if (!values.json) out.result(`the ${envName} deploy lock is not held; nothing to release`);
        return ExitCode.ok;
      case "held-by-other":
        out.error(
          `${owner} cannot release the ${envName} deploy lock: it is ${describeLock(result.holder)}; release it as its owner (--owner) or break it with --force`,
        );
        return ExitCode.failed;
      case "corrupt":
        out.error(`cannot release the ${envName} deploy lock: ${describeCorrupt(lock.path, result.problem)}`);
        return ExitCode.failed;
      case "removed-corrupt":
        out.warn(`removed (--force) the corrupt ${envName} lock file ${lock.path} (${result.problem})`);
        if (!values.json) out.result(`released the ${envName} deploy lock (its file was corrupt)`);
        return ExitCode.ok;
      case "released":
        if (result.forced) out.warn(`broke (--force) the ${envName} deploy lock that was ${describeLock(result.lock)}`);
        if (!values.json) out.result(`released the ${envName} deploy lock (held by ${result.lock.owner})`);
        return ExitCode.ok;
    }
  },
};
