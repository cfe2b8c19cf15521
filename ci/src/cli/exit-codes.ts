/** Exit codes shared by every lh-ci command. */
export const ExitCode = {
  /** Done, or every check passed. */
  ok: 0,
  /** A check or an operation failed. */
  failed: 1,
  /** Bad usage or bad configuration: nothing was attempted. */
  usage: 2,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Thrown for bad arguments or configuration; the CLI prints the message and exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Thrown when an operation or a check fails; the CLI prints the message and exits 1. */
export class OperationError extends Error {
  override name = "OperationError";
}
