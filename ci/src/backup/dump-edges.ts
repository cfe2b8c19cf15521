import { Transform, type TransformCallback } from "node:stream";

const EDGE_BYTES = 8192;
const HEADER = "--\n-- PostgreSQL database dump\n--\n";
const COMPLETE = "\n-- PostgreSQL database dump complete\n";
const RESTRICT = /^\\restrict (\S+)$/m;

/**
 * Passes a plain SQL dump through, keeping its first and last few KB, so that completeness
 * is judged without a second read: pg_dump writes its completion marker only after the last object.
 */
export class DumpEdges extends Transform {
  #head = Buffer.alloc(0);
  #tail = Buffer.alloc(0);

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.observe(chunk);
    callback(null, chunk);
  }

  /** Looks at bytes that do not flow through the stream (a file another process writes). */
  observe(chunk: Buffer): void {
    if (this.#head.length < EDGE_BYTES) {
      this.#head = Buffer.concat([this.#head, chunk.subarray(0, EDGE_BYTES - this.#head.length)]);
    }
    this.#tail =
      chunk.length >= EDGE_BYTES
        ? Buffer.from(chunk.subarray(chunk.length - EDGE_BYTES))
        : Buffer.concat([this.#tail, chunk]).subarray(-EDGE_BYTES);
  }

  /** `15.20` from pg_dump's `-- Dumped by pg_dump version 15.20 (...)` header line, when present. */
  dumperVersion(): string | undefined {
    return /^-- Dumped by pg_dump version (\S+)/m.exec(this.#head.toString("utf8"))?.[1];
  }

  /** `15.19 (Debian 15.19-0+deb12u1)` from pg_dump's `-- Dumped from database version ...` header line (the server's server_version). */
  serverVersion(): string | undefined {
    return /^-- Dumped from database version (.+)$/m.exec(this.#head.toString("utf8"))?.[1]?.trim();
  }

  /** Why the dump is not a complete plain pg_dump, or undefined when it is. */
  problem(): string | undefined {
    return dumpEdgeProblem(this.#head.toString("utf8"), this.#tail.toString("utf8"));
  }
}

export function dumpEdgeProblem(head: string, tail: string): string | undefined {
  if (!head.startsWith(HEADER)) return "it does not start like a plain-format pg_dump";
  const marker = tail.lastIndexOf(COMPLETE);
  if (marker < 0) return "pg_dump's completion marker is missing at its end (the dump is truncated or was interrupted)";
  // After the marker pg_dump writes only comment lines, blank lines and `\unrestrict <key>`.
  const after = tail.slice(marker + COMPLETE.length).split("\n");
  if (after.some((line) => line !== "" && line !== "--" && !line.startsWith("\\unrestrict "))) {
    return "there is content after pg_dump's completion marker";
  }
  const key = RESTRICT.exec(head)?.[1];
  if (key !== undefined && !after.includes(`\\unrestrict ${key}`)) {
    return "pg_dump's closing \\unrestrict line is missing (the dump is truncated)";
  }
  return undefined;
}
