import { loadModule, parseSync, type ScanToken, scanSync } from "libpg-query";
import { keepWasmOnLiftoff } from "../dump/liftoff-only.ts";
import type { Node } from "./parse-tree.ts";
import { type DestructiveKind, emptySchemaModel, statementProblems } from "./statement-rules.ts";

export type { DestructiveKind } from "./statement-rules.ts";

export interface Finding {
  kind: DestructiveKind;
  /** migration.sql that holds it. */
  file: string;
  /** 1-based line where the statement (or Prisma's warning) starts. */
  line: number;
  /** What it does, in words. */
  message: string;
  /** The statement, whitespace collapsed and shortened. */
  statement: string;
}

interface RawStatement {
  stmt?: Node;
  stmt_location?: number;
  stmt_len?: number;
}

const COMMENT_TOKENS = new Set(["SQL_COMMENT", "C_COMMENT"]);

let loaded: Promise<void> | undefined;

/** Loads PostgreSQL's parser (WebAssembly) once. */
export function loadParser(): Promise<void> {
  keepWasmOnLiftoff();
  loaded ??= loadModule();
  return loaded;
}

/** Line and excerpt of a statement: byte offsets from the parser, first token after leading comments. */
class SourceMap {
  readonly #bytes: Buffer;
  readonly #tokens: ScanToken[];

  constructor(sql: string) {
    this.#bytes = Buffer.from(sql, "utf8");
    this.#tokens = scanSync(sql).tokens.filter((token) => !COMMENT_TOKENS.has(token.tokenName));
  }

  lineAt(byteOffset: number): number {
    let line = 1;
    for (let index = 0; index < byteOffset && index < this.#bytes.length; index++) {
      if (this.#bytes[index] === 0x0a) line++;
    }
    return line;
  }

  statement(raw: RawStatement): { line: number; statement: string } {
    const from = raw.stmt_location ?? 0;
    const to = raw.stmt_len ? from + raw.stmt_len : this.#bytes.length;
    const start = this.#tokens.find((token) => token.start >= from)?.start ?? from;
    const text = this.#bytes.subarray(start, to).toString("utf8").replace(/\s+/g, " ").trim();
    return { line: this.lineAt(start), statement: text.length > 160 ? `${text.slice(0, 157)}...` : text };
  }
}

/**
 * Prisma writes a warnings block at the top of a generated migration when it knows the migration
 * loses data ("Warnings: - You are about to drop the column ..."), as a block comment or as `--`
 * lines. Each warning item is reported at its own line.
 */
function prismaWarnings(sql: string, file: string, map: SourceMap): Finding[] {
  const findings: Finding[] = [];
  let inWarnings = false;
  for (const token of scanSync(sql).tokens) {
    if (!COMMENT_TOKENS.has(token.tokenName)) {
      inWarnings = false;
      continue;
    }
    const firstLine = map.lineAt(token.start);
    const lines = token.text
      .replace(/^\/\*|\*\/$/g, "")
      .split("\n")
      .map((line) => line.replace(/^\s*(--)?\s*/, ""));
    lines.forEach((line, index) => {
      if (/^Warnings:\s*$/i.test(line)) inWarnings = true;
      else if (inWarnings && line.startsWith("- ")) {
        const message = `Prisma warns: ${line.slice(2).trim()}`;
        findings.push({ kind: "prisma-warning", file, line: firstLine + index, message, statement: "" });
      }
    });
    if (token.tokenName === "C_COMMENT") inWarnings = false;
  }
  return findings;
}

/**
 * The destructive statements of a set of migrations, in order. Uses PostgreSQL's own parser
 * (libpg_query compiled to WebAssembly), so comments, strings and dollar quoting cannot fool it.
 * Call `loadParser()` first.
 */
export function findDestructive(migrations: Array<{ path: string; sql: string }>): Finding[] {
  const model = emptySchemaModel();
  const findings: Finding[] = [];
  for (const { path, sql } of migrations) {
    let map: SourceMap;
    let statements: RawStatement[];
    try {
      map = new SourceMap(sql);
      statements = (parseSync(sql) as { stmts?: RawStatement[] }).stmts ?? [];
    } catch (error) {
      const details = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
      const line = details?.cursorPosition === undefined ? 1 : lineOfCharacter(sql, details.cursorPosition);
      findings.push({
        kind: "unparseable",
        file: path,
        line,
        message: `cannot be parsed as PostgreSQL (${(error as Error).message}); it cannot be checked, fix it`,
        statement: "",
      });
      continue;
    }
    findings.push(...prismaWarnings(sql, path, map));
    for (const raw of statements) {
      if (!raw.stmt) continue;
      for (const finding of statementProblems(raw.stmt, model)) {
        findings.push({ ...finding, file: path, ...map.statement(raw) });
      }
    }
  }
  return findings;
}

function lineOfCharacter(text: string, position: number): number {
  return text.slice(0, position).split("\n").length;
}
