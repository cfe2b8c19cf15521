import { mkdirSync } from "node:fs";
import { resolve } from "node:path";

/**
 * Where the deploy lock and the release ledger live. Not in the application database: they must
 * work while the database is down and survive a restore. On a target this is the ops container's
 * named volume (`LH_STATE_DIR=/state`); locally `.lh-state/<env>` under the current directory.
 */
export function stateDir(envName: string, cwd: string, configured?: string): string {
  return configured ? resolve(cwd, configured) : resolve(cwd, ".lh-state", envName);
}

/** Creates the state directory when needed and returns it. */
export function ensureStateDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}
