import { Readable, Writable } from "node:stream";
import type { Command } from "../cli/command.ts";
import { ExitCode } from "../cli/exit-codes.ts";
import { Output } from "../output/output.ts";
import {
  BoundedLines,
  encodeAnswer,
  MAX_REQUEST_BYTES,
  MAX_STDOUT_BYTES,
  ProtocolError,
  parseRequest,
} from "../session/protocol.ts";

/** Collects a command's stdout up to the protocol's bound; past it, the answer says so. */
class CappedText extends Writable {
  text = "";
  overflowed = false;

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    const piece = chunk.toString();
    if (this.text.length + piece.length > MAX_STDOUT_BYTES) this.overflowed = true;
    else this.text += piece;
    done();
  }
}

/** Each progress line a command prints becomes an `{"err": ...}` answer at once. */
function progressTo(send: (line: string) => void): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      for (const line of chunk.toString().split("\n")) if (line !== "") send(encodeAnswer({ err: line }));
      done();
    },
  });
}

/** `lh-ci session`: lh-ci commands from stdin, one JSON line each, in one process. */
export const session: Command = {
  name: "session",
  summary: "run lh-ci commands read from stdin, one JSON line each (deploy's one ops container)",
  help: `Usage: lh-ci session [--env staging]

Reads one request per line on stdin, {"args": ["lock", "acquire", ...]}, runs that lh-ci command
in this process, and answers on stdout: {"err": "..."} for each line the command prints on
stderr, then {"code": N, "stdout": "..."} when it ends. Stops at the end of stdin.
lh-ci deploy and rollback start one session in the ops container (docker compose run ops lh-ci
session) instead of a container per step; it is not meant to be typed.`,
  async run({ out, cwd, processEnv, stdin }) {
    // Imported here: main imports the registry, which lists this command.
    const { main } = await import("../cli/main.ts");
    const send = (line: string) => out.rawStdout.write(line);
    // What the session itself says goes through the redactor too: the answers are its stdout.
    const sendError = (message: string) => send(encodeAnswer({ err: out.redactor.redact(`error: ${message}`) }));
    const lines = new BoundedLines(MAX_REQUEST_BYTES, "lh-ci session: stdin");
    stdin.setEncoding?.("utf8");
    for await (const chunk of stdin) {
      let requests: string[];
      try {
        requests = lines.push(String(chunk));
      } catch (error) {
        out.error((error as Error).message);
        return ExitCode.usage;
      }
      for (const line of requests) {
        let args: string[];
        try {
          args = parseRequest(line);
        } catch (error) {
          if (!(error instanceof ProtocolError)) throw error;
          sendError(error.message);
          send(encodeAnswer({ code: ExitCode.usage, stdout: "" }));
          continue;
        }
        if (args[0] === "session") {
          sendError("lh-ci session cannot start another session");
          send(encodeAnswer({ code: ExitCode.usage, stdout: "" }));
          continue;
        }
        const stdout = new CappedText();
        const code = await main(args, {
          out: new Output(stdout, progressTo(send)),
          cwd,
          processEnv,
          // The requests arrive on our stdin: a command never reads it (there is no operator to ask).
          stdin: Readable.from([]),
        });
        if (stdout.overflowed) {
          sendError(`lh-ci ${args[0]}: printed more than ${MAX_STDOUT_BYTES} bytes`);
          send(encodeAnswer({ code: ExitCode.failed, stdout: "" }));
        } else {
          send(encodeAnswer({ code, stdout: stdout.text }));
        }
      }
    }
    return ExitCode.ok;
  },
};
