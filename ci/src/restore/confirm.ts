import { createInterface } from "node:readline/promises";
import type { Writable } from "node:stream";
import { UsageError } from "../cli/exit-codes.ts";

export interface ConfirmRequest {
  envName: string;
  question: string;
  yes: boolean;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Where the question is asked (stderr, so stdout stays results only). */
  prompt: Writable;
}

/**
 * A restore replaces a whole database: the operator types the environment's name on a terminal,
 * or passes --yes. Without a terminal and without --yes there is nobody to ask, so it is refused.
 */
export async function confirmRestore(request: ConfirmRequest): Promise<void> {
  if (request.yes) return;
  if (!request.stdin.isTTY) {
    throw new UsageError(
      "refusing to restore without confirmation: there is no terminal to ask on; pass --yes to confirm (nothing was changed)",
    );
  }
  const readline = createInterface({ input: request.stdin, output: request.prompt, terminal: true });
  try {
    const answer = await readline.question(
      `${request.question}\nType the environment name (${request.envName}) to go on: `,
    );
    if (answer.trim() !== request.envName) {
      throw new UsageError(`restore cancelled: "${answer.trim()}" is not "${request.envName}" (nothing was changed)`);
    }
  } finally {
    readline.close();
  }
}
