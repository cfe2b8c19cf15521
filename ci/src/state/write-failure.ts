import { basename, dirname } from "node:path";
import { OperationError } from "../cli/exit-codes.ts";

/**
 * A failed write as the operator needs to read it: a full disk (or quota) names the folder and
 * what to do, instead of a bare "ENOSPC: no space left on device, write". Other errors pass through.
 */
export function explainWriteFailure(error: unknown, path: string): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== "ENOSPC" && code !== "EDQUOT") return error as Error;
  const dir = dirname(path);
  return new OperationError(
    `no space left on the device of ${dir} (writing ${basename(path)}); free space there (df -h ${dir}) and retry. Nothing was changed`,
  );
}
