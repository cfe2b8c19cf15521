import { hostname } from "node:os";
import type { CommandContext } from "../cli/command.ts";
import { stateDir } from "./state-dir.ts";

/** The state directory of the command's environment (`LH_STATE_DIR`, else `.lh-state/<env>`). */
export function stateDirFor(context: CommandContext): string {
  const { config } = context.loadConfig(["LH_STATE_DIR"]);
  return stateDir(context.envName, context.cwd, config.LH_STATE_DIR);
}

/** Who is acting: `--owner`/`--by` when given, else the CI actor or the local user at this host. */
export function actor(context: CommandContext, explicit: unknown): string {
  if (typeof explicit === "string" && explicit.trim()) return explicit.trim();
  const env = context.processEnv;
  if (env.GITHUB_ACTOR) return `github:${env.GITHUB_ACTOR}`;
  return `${env.USER ?? env.LOGNAME ?? "unknown"}@${hostname()}`;
}
