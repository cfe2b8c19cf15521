import { execFileSync } from "node:child_process";
import { pgBinary } from "./pg-binary.ts";

/** `15.20` from `pg_dump (PostgreSQL) 15.20 (Debian ...)`: recorded so a restore can say what made the dump. */
export function pgDumpVersion(): string {
  try {
    const text = execFileSync(pgBinary("pg_dump"), ["--version"], { encoding: "utf8" });
    return /\(PostgreSQL\)\s+(\S+)/.exec(text)?.[1] ?? text.trim();
  } catch {
    return "unknown";
  }
}
