/** Exit codes of the browser-check program, the same three lh-ci uses. */
export const ExitCode = {
  /** The page passed every check. */
  ok: 0,
  /** The page failed a check (or Chromium could not load it): the report says what was seen. */
  failed: 1,
  /** Bad usage: nothing was attempted. */
  usage: 2,
} as const;

/** A bad option or argument; the message names the option. The program prints it and exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
}
