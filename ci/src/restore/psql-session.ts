import { randomBytes } from "node:crypto";
import type { Writable } from "node:stream";
import { type RunningChild, startChild } from "../backup/child-process.ts";
import { type PgTarget, psqlEnvironment } from "../backup/connection.ts";
import { pgBinary } from "../backup/pg-binary.ts";
import { PsqlOutput } from "./psql-output.ts";

/**
 * psql reading the restore's input from a pipe, connected and framed before the load starts:
 * restore starts it while the safety backup runs, so psql's start-up and connection cost the
 * restore nothing. The frame is `\restrict` with a random key (psql refuses every meta-command
 * after it; the dump cannot know the key), then a query for psql's server process id, which the
 * restore's ending of other sessions must spare.
 */
export class PsqlSession {
  readonly psql: RunningChild;
  readonly stdin: Writable;
  readonly output: PsqlOutput;
  /** The line psql prints once it has run everything the restore sent (see `markLoaded`). */
  readonly loadedMarker: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; psqlFailed: boolean }>;
  readonly #backendPid: Promise<number | undefined>;

  constructor(target: PgTarget, applicationName: string) {
    const nonce = randomBytes(16).toString("hex");
    this.loadedMarker = `lh-ci-loaded-${nonce}`;
    this.psql = startChild(
      pgBinary("psql"),
      ["--no-psqlrc", "--no-align", "--tuples-only", "--set=ON_ERROR_STOP=1", `--dbname=${target.url}`, "--file=-"],
      { env: psqlEnvironment(target, applicationName), stdin: "pipe" },
    );
    const { stdin, stdout } = this.psql.child;
    if (!stdin || !stdout) throw new Error("psql has no stdin or stdout");
    this.stdin = stdin;
    stdin.on("error", () => undefined); // EPIPE once psql stopped: psql's exit says why
    this.output = new PsqlOutput(stdout, [this.loadedMarker]);
    this.exited = this.psql.exited.then((exit) => ({ ...exit, psqlFailed: exit.code !== 0 }));
    this.exited.catch(() => undefined); // awaited by the load; a missing psql must not go unhandled meanwhile
    stdin.write(`\\restrict ${nonce}\nSELECT pg_backend_pid();\n`);
    // Nothing else is sent before this answer is read: the first line psql prints is the id.
    this.#backendPid = Promise.race([
      this.output.firstLine.then((line) => (/^\d+$/.test(line) ? Number(line) : undefined)),
      this.exited.then(
        () => undefined,
        () => undefined,
      ),
    ]);
  }

  /** psql's server process id, or undefined when psql stopped before telling it. */
  backendPid(): Promise<number | undefined> {
    return this.#backendPid;
  }

  /** Asks psql to print `loadedMarker` once it has run everything sent before. */
  markLoaded(): void {
    this.stdin.write(`SELECT '${this.loadedMarker}';\n`);
  }

  /** Ends psql's input: psql finishes what it has and exits; an open transaction rolls back. */
  end(last?: string): void {
    this.stdin.end(last);
  }
}
