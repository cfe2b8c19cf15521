import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";

const STDERR_LIMIT = 16_384;

export interface RunningChild {
  child: ChildProcess;
  /** Resolves with the exit code (or the signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last few KB the process wrote on stderr (for error messages). */
  stderrTail(): string;
}

/** Starts a client tool (pg_dump, psql) with stderr captured; a missing binary rejects `exited`. */
export function startChild(
  command: string,
  args: string[],
  options: {
    env: NodeJS.ProcessEnv;
    stdin?: "pipe" | "ignore" /** A file descriptor to write to instead of a pipe. */;
    stdout?: number;
    /** SIGKILL the child when lh-ci dies (util-linux setpriv; without it, the child is started as is). */
    dieWithParent?: boolean;
  },
): RunningChild {
  // pg_dump writing straight into the backup file would go on after lh-ci is killed (SIGKILL, out
  // of memory): under setpriv it gets SIGKILL when its parent dies.
  // Only for a program found on disk: a missing one must still fail with ENOENT, named below.
  const setpriv = options.dieWithParent && command.startsWith("/") ? setprivPath() : undefined;
  const [program, argv] = setpriv ? [setpriv, ["--pdeathsig", "KILL", "--", command, ...args]] : [command, args];
  const child: ChildProcess = spawn(program, argv, {
    env: options.env,
    stdio: [options.stdin ?? "ignore", options.stdout ?? "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (text: string) => {
    stderr = (stderr + text).slice(-STDERR_LIMIT);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") {
        reject(new Error(`${command} was not found on PATH; install the PostgreSQL 15 client (postgresql-client-15)`));
      } else reject(error);
    });
    child.on("close", (code: number | null, signal: NodeJS.Signals | null) => resolve({ code, signal }));
  });
  return { child, exited, stderrTail: () => stderr.trim() };
}

/** The last meaningful lines of a tool's stderr, for an error message. */
export function lastLines(text: string, count = 3): string {
  return text.split("\n").filter(Boolean).slice(-count).join(" / ");
}

let setprivFound: string | null | undefined;

/** util-linux's setpriv, in every Debian system (the ops image included), or undefined. */
function setprivPath(): string | undefined {
  if (setprivFound === undefined) {
    setprivFound =
      ["/usr/bin/setpriv", "/bin/setpriv"].find((path) => {
        try {
          accessSync(path, constants.X_OK);
          return true;
        } catch {
          return false;
        }
      }) ?? null;
  }
  return setprivFound ?? undefined;
}
