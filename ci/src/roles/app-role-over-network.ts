/**
 * The database role step run from inside the stack's network (the compose service `database-role`,
 * ops image): psql connects to the server of DATABASE_URL as the postgres image's superuser, with
 * its password, and runs the same script the deploy runs through `compose exec`. It exists so that
 * a plain `docker compose up` of a fresh volume gets the application role before migrate connects
 * as it.
 */
import { readFileSync, statSync } from "node:fs";
import { startChild } from "../backup/child-process.ts";
import { pgBinary } from "../backup/pg-binary.ts";
import { APP_ROLE_PSQL_OPTIONS, type AppRoleOutcome, appRoleScript, readAppRoleOutcome } from "./app-role-sql.ts";

/** The script does a few catalogue scans and at most one CREATE DATABASE: far below this. */
const STEP_TIMEOUT_MS = 120_000;
const OUTPUT_LIMIT = 64 * 1024;
/** A password file is one line; anything bigger is not one. */
const PASSWORD_FILE_LIMIT = 4096;

export interface SuperuserConnection {
  /** The server and database, from DATABASE_URL. */
  host: string;
  port: string;
  database: string;
  superuser: string;
  password: string;
}

/** Reads a password file (compose secret, the postgres image's *_FILE convention): one line, bounded. */
export function readPasswordFile(path: string): string {
  const size = statSync(path).size;
  if (size > PASSWORD_FILE_LIMIT) {
    throw new Error(
      `${path} holds ${size} bytes: a password file holds one line (at most ${PASSWORD_FILE_LIMIT} bytes)`,
    );
  }
  const password = readFileSync(path, "utf8").replace(/\r?\n$/, "");
  if (password === "" || /[\r\n]/.test(password)) throw new Error(`${path} must hold the password on one line`);
  return password;
}

/** Runs the role script as the superuser over TCP; resolves with what it did. */
export async function ensureAppRoleOverNetwork(
  connection: SuperuserConnection,
  role: { name: string; password: string },
): Promise<AppRoleOutcome> {
  const running = startChild(
    pgBinary("psql"),
    [
      ...APP_ROLE_PSQL_OPTIONS,
      "--host",
      connection.host,
      "--port",
      connection.port,
      "--username",
      connection.superuser,
      "--dbname",
      connection.database,
    ],
    {
      // Nothing of lh-ci's own environment: the password only as libpq reads it, never on argv.
      env: { PATH: process.env.PATH ?? "", PGPASSWORD: connection.password, PGCONNECT_TIMEOUT: "10" },
      stdin: "pipe",
    },
  );
  let stdout = "";
  running.child.stdout?.setEncoding("utf8");
  running.child.stdout?.on("data", (text: string) => {
    stdout = (stdout + text).slice(-OUTPUT_LIMIT);
  });
  const timer = setTimeout(() => running.child.kill("SIGKILL"), STEP_TIMEOUT_MS);
  running.child.stdin?.end(appRoleScript(role, connection.database));
  try {
    const { code, signal } = await running.exited;
    if (signal === "SIGKILL") throw new Error(`psql did not finish the role step within ${STEP_TIMEOUT_MS / 1000} s`);
    if (code !== 0) {
      throw new Error(`psql as ${connection.superuser} exited with ${code}: ${running.stderrTail() || "(no message)"}`);
    }
    return readAppRoleOutcome(stdout);
  } finally {
    clearTimeout(timer);
  }
}
