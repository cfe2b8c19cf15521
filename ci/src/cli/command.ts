import type { ParseArgsOptionsConfig } from "node:util";
import { type ConfigSource, type LoadedConfig, loadConfig } from "../config/load.ts";
import type { ConfigName } from "../config/schema.ts";
import type { Output } from "../output/output.ts";

export type OptionValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

/** What a command receives: its parsed arguments, where to write, and how to read configuration. */
export interface CommandContext {
  values: OptionValues;
  positionals: string[];
  out: Output;
  cwd: string;
  processEnv: Record<string, string | undefined>;
  /** The environment name from `--env` (default staging). */
  envName: string;
  /** The configuration source from `--env` / `--env-file` and the process environment. */
  configSource: ConfigSource;
  /** Validates the configuration (only the named variables, when given) and registers its secrets. */
  loadConfig(only?: readonly ConfigName[]): LoadedConfig;
  /** Standard input, for confirmations. */
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** One lh-ci command: a small module behind the CLI. */
export interface Command {
  /** Words that select it, e.g. "env check" or "backup verify". */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Usage lines and option descriptions, shown by --help. */
  help: string;
  /** Options beyond the common ones (--env, --env-file, --json, --help). */
  options?: ParseArgsOptionsConfig;
  /** Positional arguments after the command words: [min, max]. */
  positionals?: [number, number];
  run(context: CommandContext): Promise<number>;
}

export const COMMON_OPTIONS = {
  env: { type: "string", default: "staging" },
  "env-file": { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const satisfies ParseArgsOptionsConfig;

export const COMMON_HELP = `Common options:
  --env NAME        environment (default staging); reads .env.NAME from the current directory
  --env-file FILE   read this file instead of .env.NAME
                    (variables set in the process environment win over the file)
  --json            machine-readable output on stdout
  -h, --help        this help
Exit codes: 0 done or all checks passed, 1 a check or operation failed, 2 bad usage or configuration.`;

export function configContext(source: ConfigSource, out: Output): (only?: readonly ConfigName[]) => LoadedConfig {
  return (only) => loadConfig(source, out.redactor, only);
}
