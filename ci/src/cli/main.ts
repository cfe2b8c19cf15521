import { parseArgs } from "node:util";
import { ConfigError } from "../config/load.ts";
import { Output } from "../output/output.ts";
import { COMMON_HELP, COMMON_OPTIONS, type Command, configContext } from "./command.ts";
import { ExitCode, OperationError, UsageError } from "./exit-codes.ts";
import { COMMANDS, type CommandEntry } from "./registry.ts";

export interface MainIO {
  out?: Output;
  cwd?: string;
  processEnv?: Record<string, string | undefined>;
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  commands?: CommandEntry[];
}

/** Runs one lh-ci invocation and returns its exit code. Never throws. */
export async function main(argv: string[], io: MainIO = {}): Promise<number> {
  const out = io.out ?? new Output();
  const commands = io.commands ?? COMMANDS;
  const processEnv = io.processEnv ?? process.env;
  out.redactor.addFromEnvironment(processEnv);
  try {
    const entry = findCommand(commands, argv);
    if (!entry) return await topLevel(argv, commands, out);
    const command = await entry.load();

    const rest = argv.slice(command.name.split(" ").length);
    const { values, positionals } = parse(command, rest);
    if (values.help) {
      out.result(helpText(command));
      return ExitCode.ok;
    }
    const [min, max] = command.positionals ?? [0, 0];
    if (positionals.length < min || positionals.length > max) {
      throw new UsageError(
        `${command.name}: expected ${describeCount(min, max)}, got ${positionals.length}; see lh-ci ${command.name} --help`,
      );
    }
    const envName = String(values.env);
    const configSource = {
      envName,
      envFile: values["env-file"] as string | undefined,
      cwd: io.cwd ?? process.cwd(),
      processEnv,
    };
    return await command.run({
      values,
      positionals,
      out,
      cwd: configSource.cwd,
      processEnv,
      envName,
      configSource,
      loadConfig: configContext(configSource, out),
      stdin: io.stdin ?? process.stdin,
    });
  } catch (error) {
    return report(error, out);
  }
}

function findCommand(commands: CommandEntry[], argv: string[]): CommandEntry | undefined {
  const words = argv.filter((arg) => !arg.startsWith("-"));
  // The longest name that prefixes the words wins: "backup verify" before "backup".
  return [...commands]
    .sort((a, b) => b.name.split(" ").length - a.name.split(" ").length)
    .find((command) => {
      const name = command.name.split(" ");
      return name.every((word, index) => argv[index] === word && words[index] === word);
    });
}

function parse(command: Command, args: string[]) {
  try {
    return parseArgs({
      args,
      options: { ...COMMON_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${command.name}: ${message}; see lh-ci ${command.name} --help`);
  }
}

async function topLevel(argv: string[], commands: CommandEntry[], out: Output): Promise<number> {
  const wantsHelp = argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help";
  if (wantsHelp) {
    out.result(overview(await Promise.all(commands.map((entry) => entry.load()))));
    return argv.length === 0 ? ExitCode.usage : ExitCode.ok;
  }
  const prefix = argv.filter((arg) => !arg.startsWith("-")).join(" ");
  const family = commands.filter((command) => command.name.startsWith(`${argv[0]} `) || command.name === argv[0]);
  if (family.length > 0) {
    out.error(`unknown command "${prefix}"; ${argv[0]} has: ${family.map((c) => c.name).join(", ")}`);
  } else {
    out.error(`unknown command "${prefix}"; run lh-ci --help for the list`);
  }
  return ExitCode.usage;
}

function overview(commands: Command[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  const lines = [...commands]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);
  return `lh-ci: the Lawyers Hub delivery toolkit\n\nUsage: lh-ci <command> [options]\n\nCommands:\n${lines.join("\n")}\n\n${COMMON_HELP}\nRun lh-ci <command> --help for a command's options.`;
}

function helpText(command: Command): string {
  return `lh-ci ${command.name}: ${command.summary}\n\n${command.help.trim()}\n\n${COMMON_HELP}`;
}

function describeCount(min: number, max: number): string {
  if (max === 0) return "no arguments";
  if (min === max) return `${min} argument${min === 1 ? "" : "s"}`;
  return `${min} to ${max} arguments`;
}

function report(error: unknown, out: Output): number {
  if (error instanceof ConfigError) {
    for (const problem of error.problems) out.error(`${problem.variable}: ${problem.message}`);
    return ExitCode.usage;
  }
  if (error instanceof UsageError) {
    out.error(error.message);
    return ExitCode.usage;
  }
  if (error instanceof OperationError) {
    out.error(error.message);
    return ExitCode.failed;
  }
  out.error(error instanceof Error ? error.message : String(error));
  return ExitCode.failed;
}
