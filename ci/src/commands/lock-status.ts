import type { Command } from "../cli/command.ts";
import { ExitCode } from "../cli/exit-codes.ts";
import { DeployLock, describeLock, isExpired } from "../lock/deploy-lock.ts";
import { stateDirFor } from "../state/context.ts";

/** `lh-ci lock status`: who holds the deploy lock, if anyone. */
export const lockStatus: Command = {
  name: "lock status",
  summary: "show who holds the environment's deploy lock, since when, for which commit and why",
  help: `Usage: lh-ci lock status [--env staging] [--json]

Prints "free", or the holder, commit, reason, since when and until when. With --json one object:
{"env", "held", "expired", "lock"}. Exit 0 either way.`,
  async run(context) {
    const { values, out, envName } = context;
    const lock = new DeployLock(stateDirFor(context)).read();
    const expired = lock ? isExpired(lock) : false;
    if (values.json) {
      out.result(JSON.stringify({ env: envName, held: Boolean(lock) && !expired, expired, lock: lock ?? null }));
    } else if (!lock) {
      out.result(`the ${envName} deploy lock is free`);
    } else {
      const note = expired ? " (expired: the next lock acquire takes it over)" : "";
      out.result(`the ${envName} deploy lock is ${describeLock(lock)}${note}`);
    }
    return ExitCode.ok;
  },
};
