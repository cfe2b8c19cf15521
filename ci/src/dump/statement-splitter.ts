/**
 * Splits the SQL outside `COPY` data into statements the way psql does, line by line: a `;`
 * outside quotes, comments and parentheses ends a statement. It also refuses what psql would
 * treat as its own: a backslash outside quotes (a meta-command) and `:name` (a variable).
 * Every statement it returns is then parsed by PostgreSQL's own parser, so a split this lexer
 * got wrong cannot pass: the piece would not parse.
 */

type Mode = "normal" | "quote" | "escape-quote" | "identifier" | "dollar" | "comment";

export class SplitRefusal extends Error {
  override name = "SplitRefusal";
}

export interface SplitLine {
  /** Statements completed on this line, each ending with its `;`. */
  statements: Array<{ text: string; where: string }>;
  /** What follows the last completed statement on this line (not yet a statement). */
  trailing: string;
}

const IDENTIFIER_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const IDENTIFIER_START = /[A-Za-z_\u0080-\uffff]/;
const IDENTIFIER_WORD = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/;
const DOLLAR_TAG = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;
const PSQL_VARIABLE_START = /[A-Za-z_\u0080-\uffff'"{]/;

/**
 * Longer than any definition pg_dump writes (its data travels as COPY, which this does not bound);
 * bounds what is held in memory. Every statement is parsed, and the parse tree of a long
 * multi-row INSERT costs over 200 times its text: 1 MiB keeps the parse within the ops
 * container's 512 MB.
 */
export const MAX_STATEMENT_CHARS = 1024 * 1024;

export class StatementSplitter {
  #mode: Mode = "normal";
  #dollarTag = "";
  #commentDepth = 0;
  #parenDepth = 0;
  #pending = "";
  #pendingWhere = "line 1";
  /** Whether the pending text holds more than whitespace and comments. */
  #hasContent = false;
  /** Words seen in the pending statement, and the first ones when they spell CREATE [OR REPLACE] FUNCTION|PROCEDURE. */
  #words = 0;
  #lead = "";
  /** BEGIN ATOMIC ... END (and CASE ... END inside it) open in a function's body: its `;` do not end the statement. */
  #beginDepth = 0;

  /** True when no statement is open: only whitespace and complete comments were seen since the last `;`. */
  get idle(): boolean {
    return !this.#hasContent && this.#mode === "normal";
  }

  /** Feeds one line (with its newline, when it has one); `where` locates it for messages ("line 12"). */
  feedLine(line: string, where: string): SplitLine {
    const statements: SplitLine["statements"] = [];
    let start = 0;
    if (!this.#hasContent && this.#mode === "normal") this.#pendingWhere = where;
    for (let i = 0; i < line.length; i++) {
      const c = line[i] as string;
      switch (this.#mode) {
        case "quote":
          if (c === "'") {
            if (line[i + 1] === "'") i++;
            else this.#mode = "normal";
          }
          break;
        case "escape-quote":
          if (c === "\\") i++;
          else if (c === "'") {
            if (line[i + 1] === "'") i++;
            else this.#mode = "normal";
          }
          break;
        case "identifier":
          if (c === '"') {
            if (line[i + 1] === '"') i++;
            else this.#mode = "normal";
          }
          break;
        case "dollar":
          if (c === "$" && line.startsWith(this.#dollarTag, i)) {
            i += this.#dollarTag.length - 1;
            this.#mode = "normal";
          }
          break;
        case "comment":
          if (c === "*" && line[i + 1] === "/") {
            i++;
            this.#commentDepth--;
            if (this.#commentDepth === 0) this.#mode = "normal";
          } else if (c === "/" && line[i + 1] === "*") {
            i++;
            this.#commentDepth++;
          }
          break;
        case "normal": {
          if (c === "-" && line[i + 1] === "-") {
            i = line.length; // a line comment runs to the end of the line
            break;
          }
          if (c === "/" && line[i + 1] === "*") {
            i++;
            this.#mode = "comment";
            this.#commentDepth = 1;
            break;
          }
          if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f") break;
          if (c === "\\") {
            throw new SplitRefusal(
              `${where}: a psql meta-command (\\${line.slice(i + 1).match(/^\S*/)?.[0] ?? ""}) outside COPY data`,
            );
          }
          if (c === ":") {
            if (line[i + 1] === ":") {
              i++;
            } else if (PSQL_VARIABLE_START.test(line[i + 1] ?? "")) {
              throw new SplitRefusal(`${where}: a psql variable reference (:${line[i + 1]}...)`);
            }
          } else if (c === "'") {
            const previous = line[i - 1] ?? "";
            const beforePrevious = line[i - 2] ?? "";
            this.#mode =
              (previous === "E" || previous === "e") && !IDENTIFIER_CHAR.test(beforePrevious)
                ? "escape-quote"
                : "quote";
          } else if (c === '"') {
            this.#mode = "identifier";
          } else if (c === "$" && !IDENTIFIER_CHAR.test(line[i - 1] ?? "")) {
            const tag = DOLLAR_TAG.exec(line.slice(i, i + 200))?.[0];
            if (tag) {
              this.#dollarTag = tag;
              this.#mode = "dollar";
              i += tag.length - 1;
            }
          } else if (c === "(") {
            this.#parenDepth++;
          } else if (c === ")") {
            if (this.#parenDepth > 0) this.#parenDepth--;
          } else if (IDENTIFIER_START.test(c) && !IDENTIFIER_CHAR.test(line[i - 1] ?? "")) {
            const word = IDENTIFIER_WORD.exec(line.slice(i, i + 200))?.[0] ?? c;
            this.#word(word.toLowerCase());
            i += word.length - 1;
          } else if (c === ";" && this.#parenDepth === 0 && this.#beginDepth === 0) {
            const text = this.#pending + line.slice(start, i + 1);
            // A statement that ends on its first line is bounded here, one that spans lines below.
            if (text.length > MAX_STATEMENT_CHARS) throw this.#tooLong();
            statements.push({ text, where: this.#pendingWhere });
            this.#pending = "";
            this.#hasContent = false;
            this.#words = 0;
            this.#lead = "";
            start = i + 1;
            this.#pendingWhere = where;
            break;
          }
          this.#hasContent = true;
          break;
        }
      }
    }
    const trailing = line.slice(start);
    if (this.#hasContent || this.#mode !== "normal") {
      this.#pending += trailing;
      if (this.#pending.length > MAX_STATEMENT_CHARS) throw this.#tooLong();
    } else {
      this.#pending = ""; // whitespace and comments between statements carry nothing
    }
    return { statements, trailing };
  }

  #tooLong(): SplitRefusal {
    return new SplitRefusal(
      `${this.#pendingWhere}: a statement longer than ${MAX_STATEMENT_CHARS / 1024 / 1024} MiB (or one that never ends)`,
    );
  }

  /**
   * psql's own rule for SQL-standard function bodies: in CREATE [OR REPLACE] FUNCTION|PROCEDURE,
   * outside parentheses, BEGIN opens a block, CASE inside one opens another, END closes one. The
   * parser checks every piece, so a split this gets wrong cannot pass.
   */
  #word(word: string): void {
    if (this.#words < 4 && ["create", "function", "procedure", "or", "replace"].includes(word)) {
      this.#lead += word[0];
    } else if (this.#words < 4) {
      this.#lead += "-";
    }
    this.#words++;
    const routine = /^c(f|p|orf|orp)/.test(this.#lead);
    if (!routine || this.#parenDepth !== 0) return;
    if (word === "begin") this.#beginDepth++;
    else if (word === "case" && this.#beginDepth > 0) this.#beginDepth++;
    else if (word === "end" && this.#beginDepth > 0) this.#beginDepth--;
  }

  /** Why the input cannot end here, or undefined when it can. */
  unfinished(): string | undefined {
    if (this.#mode !== "normal") return `it ends inside a ${this.#mode === "comment" ? "comment" : "quoted string"}`;
    if (this.#hasContent) return `it ends inside the statement starting at ${this.#pendingWhere}`;
    return undefined;
  }
}
