import type { Command } from "../cli/command.ts";
import { ExitCode } from "../cli/exit-codes.ts";
import { DeployLock, describeCorrupt, describeLock, isExpired } from "../lock/deploy-lock.ts";
import { stateDirFor } from "../state/context.ts";

/** `lh-ci lock status`: who holds the deploy lock, if anyone. */
export const lockStatus: Command = {
  name: "lock status",
  summary: "show who holds the environment's deploy lock, since when, for which commit and why",
  help: `Usage: lh-ci lock status [--env staging] [--json]

Prints "free", the holder, commit, reason, since when and until when, or that the lock file is
corrupt (acquire then refuses it until --force replaces it). With --json one object:
{"env", "held", "expired", "corrupt", "problem", "lock"}. Exit 0 either way.`,
  async run(context) {
    const { values, out, envName } = context;
    const deployLock = new DeployLock(stateDirFor(context));
    const state = deployLock.inspect();
    const lock = state.state === "held" ? state.lock : undefined;
    const expired = lock ? isExpired(lock) : false;
    const problem = state.state === "corrupt" ? state.problem : undefined;
    if (values.json) {
      out.result(
        JSON.stringify({
          env: envName,
          held: Boolean(lock) && !expired,
          expired,
          corrupt: problem !== undefined,
          problem: problem ?? null,
          lock: lock ?? null,
        }),
      );
    } else if (problem !== undefined) {
      out.result(`the ${envName} deploy lock is corrupt: ${describeCorrupt(deployLock.path, problem)}`);
    } else if (!lock) {
      out.result(`the ${envName} deploy lock is free`);
    } else {
      const note = expired ? " (expired: the next lock acquire takes it over)" : "";
      out.result(`the ${envName} deploy lock is ${describeLock(lock)}${note}`);
    }
    return ExitCode.ok;
  },
};
