import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { OperationError } from "../cli/exit-codes.ts";
import { createExclusive } from "../state/durable-file.ts";
import { readRegularFile, SmallFileError } from "../state/read-regular-file.ts";
import { ensureStateDir } from "../state/state-dir.ts";

/** The environment's signing key, in its state directory (the ops and backup containers share it). */
export const SIGNING_KEY_FILE = "backup-signing.key";
const MIN_KEY_LENGTH = 32;

export interface SigningKey {
  key: string;
  /** Where it came from, for messages (never the key itself). */
  source: string;
}

/**
 * The key that signs and checks this environment's backups: BACKUP_SIGNING_KEY when set (an
 * exported key, for a restore on another host), else the state directory's key file. Kept with the
 * stack's state, not in the database (a restore would replace it) nor in an image. `create` (a
 * backup) makes the key on first use; a restore or a verify never does (a new key would prove nothing).
 */
export function signingKeyFor(options: {
  configured?: string;
  stateDir: string;
  create: boolean;
}): SigningKey | undefined {
  if (options.configured) return { key: options.configured, source: "BACKUP_SIGNING_KEY" };
  const path = join(options.stateDir, SIGNING_KEY_FILE);
  const existing = readKeyFile(path);
  if (existing !== undefined || !options.create)
    return existing === undefined ? undefined : { key: existing, source: path };
  ensureStateDir(options.stateDir);
  // Exclusive: two first backups at once (the service and an operator) end up with one key.
  createExclusive(path, `${randomBytes(32).toString("hex")}\n`, 0o600);
  const created = readKeyFile(path);
  if (created === undefined) throw new OperationError(`the signing key ${path} could not be created`);
  return { key: created, source: path };
}

function readKeyFile(path: string): string | undefined {
  let text: string;
  try {
    text = readRegularFile(path, 4096).toString("utf8").trim();
  } catch (error) {
    if (error instanceof SmallFileError && error.problem === "missing") return undefined;
    throw new OperationError(
      `the signing key ${path} ${(error as Error).message}; restore it from the exported copy (docs/runbook.md)`,
    );
  }
  if (text.length < MIN_KEY_LENGTH) {
    throw new OperationError(
      `the signing key ${path} is shorter than ${MIN_KEY_LENGTH} characters (damaged?); restore it from the exported copy (docs/runbook.md)`,
    );
  }
  return text;
}
