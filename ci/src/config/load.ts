import { resolve } from "node:path";
import { parse as parseDotenv } from "dotenv";
import { UsageError } from "../cli/exit-codes.ts";
import type { Redactor } from "../output/redact.ts";
import { readRegularFile, SmallFileError } from "../state/read-regular-file.ts";
import { type ConfigFinding, configWarnings, consistencyRules, environmentRules, placeholderRules } from "./rules.ts";
import { type Config, type ConfigName, configSchema } from "./schema.ts";

export interface ConfigSource {
  /** Environment name, e.g. staging; selects `.env.<name>` and the environment rules. */
  envName: string;
  /** An explicit file instead of `.env.<envName>`; it must exist. */
  envFile?: string;
  /** Directory the default file is looked up in. */
  cwd: string;
  /** The process environment; its non-empty values win over the file's. */
  processEnv: Record<string, string | undefined>;
}

export interface LoadedConfig {
  envName: string;
  /** The file that was read, or undefined when only the process environment was used. */
  file?: string;
  config: Config;
  warnings: ConfigFinding[];
}

/** Thrown when the configuration is invalid; carries one finding per problem. */
export class ConfigError extends UsageError {
  override name = "ConfigError";
  readonly problems: ConfigFinding[];

  constructor(problems: ConfigFinding[]) {
    super(problems.map((problem) => `${problem.variable}: ${problem.message}`).join("\n"));
    this.problems = problems;
  }
}

const ENV_NAME = /^[a-z][a-z0-9-]{0,31}$/;
/** An environment file is a few kilobytes; a larger one is not one. */
const MAX_ENV_FILE_BYTES = 1024 * 1024;

export function assertEnvName(envName: string): void {
  if (!ENV_NAME.test(envName)) {
    throw new UsageError(
      "--env: must be a lower-case name such as staging (letters, digits and dashes, starting with a letter)",
    );
  }
}

/**
 * Reads the raw variables: the file (`--env-file`, else `.env.<env>` when present), then the
 * process environment on top. Empty process values do not override the file: CI maps absent
 * secrets to empty strings.
 */
export function readEnvironment(source: ConfigSource): { file?: string; values: Record<string, string> } {
  assertEnvName(source.envName);
  const file = source.envFile ? resolve(source.cwd, source.envFile) : resolve(source.cwd, `.env.${source.envName}`);
  let fromFile: Record<string, string> = {};
  let readFile: string | undefined;
  try {
    fromFile = parseDotenv(readRegularFile(file, MAX_ENV_FILE_BYTES));
    readFile = file;
  } catch (error) {
    if (!(error instanceof SmallFileError)) throw error;
    const named = source.envFile ? `--env-file: ${source.envFile}` : `${file}`;
    if (error.problem === "missing") {
      if (source.envFile) throw new UsageError(`${named} does not exist; pass the path of an environment file`);
    } else {
      // A FIFO or a device would block the read forever, a huge file is no environment file.
      throw new UsageError(`${named} ${error.message}; pass the path of a regular environment file`);
    }
  }
  const values: Record<string, string> = { ...fromFile };
  for (const [name, value] of Object.entries(source.processEnv)) {
    if (value !== undefined && value !== "") values[name] = value;
  }
  return { file: readFile, values };
}

/**
 * Loads and validates the configuration. `only` limits validation to the variables a command
 * needs (a backup needs DATABASE_URL, not the Stripe key). Secrets are registered with the
 * redactor before anything is validated, so that no message can carry them.
 */
export function loadConfig(source: ConfigSource, redactor: Redactor, only?: readonly ConfigName[]): LoadedConfig {
  const { file, values } = readEnvironment(source);
  redactor.addFromEnvironment(values);

  const parsed = configSchema(only).safeParse(values);
  const problems: ConfigFinding[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? "config"), message: issue.message }));
  const candidate = (parsed.success ? parsed.data : values) as Partial<Config>;
  const relevant = (finding: ConfigFinding) => !only || only.includes(finding.variable as ConfigName);
  problems.push(...environmentRules(source.envName, candidate).filter(relevant));
  if (!only) problems.push(...consistencyRules(candidate), ...placeholderRules(candidate));
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    envName: source.envName,
    file,
    config: parsed.data as Config,
    warnings: configWarnings(candidate).filter(relevant),
  };
}
