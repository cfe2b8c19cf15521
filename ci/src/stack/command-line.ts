/**
 * A command line as data: the program and its arguments as an array, never a shell string. The
 * builders in docker.ts, compose.ts and ops.ts return these; executor.ts is the only runner.
 */
export interface CommandLine {
  /** The program, e.g. "docker" or "tar". */
  program: string;
  args: readonly string[];
  /** Variables on top of the executor's environment (RELEASE, IMAGE_PREFIX for compose). */
  env?: Readonly<Record<string, string>>;
}

const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One word as a reader (or a POSIX shell) would need it quoted: for messages and tests only. */
export function quoteWord(word: string): string {
  if (word !== "" && PLAIN_WORD.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The line as it would be typed, e.g. `docker compose -p lawyers-hub-staging up --wait`. */
export function formatCommandLine(command: CommandLine): string {
  return [command.program, ...command.args].map(quoteWord).join(" ");
}
