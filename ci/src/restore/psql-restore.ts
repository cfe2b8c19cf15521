import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { lastLines, startChild } from "../backup/child-process.ts";
import { childEnvironment, type PgTarget } from "../backup/connection.ts";
import { clearDatabaseSql } from "./clear-database-sql.ts";

export interface PsqlRestoreOptions {
  /** How long a statement may wait for a lock held by another session before the restore gives up. */
  lockTimeout?: string;
}

/** Thrown when psql stopped on an error: the transaction was rolled back, nothing changed. */
export class RestoreRolledBack extends Error {
  override name = "RestoreRolledBack";
}

/**
 * Replaces the content of the target database with a plain SQL dump in ONE transaction
 * (psql --single-transaction with ON_ERROR_STOP): clearing the old objects and loading the dump
 * either both happen or neither does.
 */
export async function psqlRestore(target: PgTarget, sql: Readable, options: PsqlRestoreOptions = {}): Promise<void> {
  const psql = startChild(
    "psql",
    ["--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1", `--dbname=${target.url}`, "--file=-"],
    { env: childEnvironment(target), stdin: "pipe" },
  );
  const stdin = psql.child.stdin;
  if (!stdin) throw new Error("psql has no stdin");
  psql.child.stdout?.resume(); // results of the dump's SELECT set_config(...): not needed
  const preamble = Readable.from([clearDatabaseSql(options.lockTimeout ?? "60s")]);
  const feeding = (async () => {
    await pipeline(preamble, stdin, { end: false });
    await pipeline(sql, stdin);
  })();
  const [fed, exit] = await Promise.allSettled([feeding, psql.exited]);
  if (exit.status === "rejected") throw exit.reason;
  if (exit.value.code !== 0) {
    // psql stopped reading (EPIPE on our side is expected then): its own message is the cause.
    throw new RestoreRolledBack(
      lastLines(psql.stderrTail(), 4) || `psql exited with ${exit.value.code ?? exit.value.signal}`,
    );
  }
  if (fed.status === "rejected") throw fed.reason;
}
