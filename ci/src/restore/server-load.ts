import { Writable } from "node:stream";
import pg from "pg";
import { clientConfig, type PgTarget } from "../backup/connection.ts";
import type { RowCounts } from "../backup/database-facts.ts";
import { type CheckedPiece, COPY_END, type DumpPiece } from "../dump/dump-scanner.ts";
import { CopyIn } from "./copy-in.ts";

/**
 * Settings the server reports (ParameterStatus) that change how the statements after them, or
 * COPY data, are read: were a function the dump defines to change one while the load runs (a
 * DEFAULT, a CHECK, an index expression calling set_config), text the validator read one way
 * would run another. Any change aborts the load before the next statement. Settings an
 * application sets for itself (`app.tenant` for row-level security) are not reported, and pass.
 */
const READING_SETTINGS = [
  "client_encoding",
  "standard_conforming_strings",
  "DateStyle",
  "IntervalStyle",
  "session_authorization",
  "is_superuser",
];

/** The load went somewhere the validator did not see: stop at once, never COMMIT. */
export class LoadTampered extends Error {
  override name = "LoadTampered";
}

/**
 * The restore's own connection to the server, over which it runs exactly the statements the dump
 * scanner checked, one at a time and each alone in its message (the extended query protocol
 * refuses a second statement in one), and sends COPY data as COPY data: no client-side lexer
 * (psql's) decides where a statement ends. Between statements it checks that no reading setting
 * changed and that the transaction is still open.
 */
export class ServerLoad {
  readonly #client: pg.Client;
  readonly #initial = new Map<string, string>();
  readonly #counts: RowCounts = {};
  readonly #lockTimeout: string;
  #connected = false;
  #tampered: string | undefined;
  #copy: CopyIn | undefined;
  #copyTable = "";

  private constructor(client: pg.Client, lockTimeout: string) {
    this.#client = client;
    this.#lockTimeout = lockTimeout;
    client.on("error", () => undefined); // a dropped connection fails the next query, which says why
    const connection = (client as unknown as { connection: NodeJS.EventEmitter }).connection;
    connection.on("parameterStatus", (message: { parameterName: string; parameterValue: string }) => {
      if (!READING_SETTINGS.includes(message.parameterName)) return;
      if (!this.#connected) {
        this.#initial.set(message.parameterName, message.parameterValue);
      } else if (this.#initial.get(message.parameterName) !== message.parameterValue) {
        this.#tampered ??= `${message.parameterName} changed to ${JSON.stringify(message.parameterValue)} during the load (something the dump defines ran set_config on it)`;
      }
    });
  }

  /** Connects (not yet in a transaction): the restore connects before it ends the other sessions, to spare this one. */
  static async connect(target: PgTarget, applicationName: string, lockTimeout = "60s"): Promise<ServerLoad> {
    const client = new pg.Client(clientConfig(target, applicationName));
    const load = new ServerLoad(client, lockTimeout);
    await client.connect();
    load.#connected = true;
    // The validator reads the dump as UTF-8 with standard strings: a connection that starts otherwise (PGOPTIONS) is not used.
    const encoding = load.#initial.get("client_encoding");
    const standard = load.#initial.get("standard_conforming_strings");
    if (encoding !== "UTF8" || standard !== "on") {
      await load.end();
      throw new Error(
        `the connection started with client_encoding ${encoding} and standard_conforming_strings ${standard}, not UTF8 and on (check PGOPTIONS and the role's settings)`,
      );
    }
    return load;
  }

  /** The server process id of this connection, which ending the other sessions must spare. */
  get pid(): number {
    return (this.#client as unknown as { processID: number }).processID;
  }

  /** Rows per table, as the server reported loading them. */
  get rows(): RowCounts {
    return Object.fromEntries(Object.entries(this.#counts).sort(([a], [b]) => a.localeCompare(b)));
  }

  /** lh-ci's own SQL (BEGIN, setting aside, COMMIT): several statements, trusted, in one message. */
  async run(sql: string): Promise<string | undefined> {
    this.#checkUntampered();
    const results = (await this.#client.query(sql)) as pg.QueryResult | pg.QueryResult[];
    return (Array.isArray(results) ? results.at(-1) : results)?.command;
  }

  /** lh-ci's lock timeout again: the dump's header sets its own (0, no limit) and functions may too. */
  async keepLockTimeout(): Promise<void> {
    await this.#client.query(`SET lock_timeout = ${pg.escapeLiteral(this.#lockTimeout)}`);
  }

  /** A stream that runs the scanner's pieces (DumpPiece) in order, each once the one before completed. */
  writable(): Writable {
    return new Writable({
      objectMode: true,
      highWaterMark: 1,
      write: (piece: DumpPiece, _encoding, callback) => {
        this.#take(piece).then(() => callback(), callback);
      },
    });
  }

  async #take(piece: DumpPiece): Promise<void> {
    if (piece === COPY_END) return this.#endCopy();
    if (Buffer.isBuffer(piece)) {
      if (!this.#copy) throw new Error("COPY data outside a COPY");
      return this.#copy.write(piece);
    }
    this.#checkUntampered();
    // pg_dump's BEGIN / COMMIT around large-object data: the restore's one transaction stands for them.
    if (piece.checked.largeObjects === "begin" || piece.checked.largeObjects === "commit") return;
    const data = piece.checked.data;
    if (data?.kind === "copy") return this.#startCopy(piece);
    let result: pg.QueryResult;
    try {
      result = await this.#client.query({ text: piece.statement, queryMode: "extended" } as pg.QueryConfig);
    } catch (error) {
      throw new Error(`${piece.where}: the server refused the statement: ${(error as Error).message}`);
    }
    if (data?.kind === "insert") {
      if (result.rowCount !== data.rows)
        throw new Error(
          `${piece.where}: the INSERT into ${data.table} loaded ${result.rowCount} rows, not ${data.rows}`,
        );
      this.#counts[data.table] = (this.#counts[data.table] ?? 0) + (result.rowCount ?? 0);
    }
    if (piece.checked.setting === "lock_timeout") await this.keepLockTimeout();
    this.#checkAfterStatement(piece.where);
  }

  /** The COPY is built from the checked parse tree (table and columns quoted here), not sent as the dump wrote it. */
  async #startCopy(piece: CheckedPiece): Promise<void> {
    const copy = piece.checked.data?.copy;
    if (!copy) throw new Error(`${piece.where}: a COPY without its table`);
    const columns = copy.columns.map((column) => pg.escapeIdentifier(column)).join(", ");
    const text = `COPY ${pg.escapeIdentifier(copy.schema)}.${pg.escapeIdentifier(copy.relation)}${columns ? ` (${columns})` : ""} FROM STDIN`;
    this.#copy = new CopyIn(text);
    this.#copyTable = piece.checked.data?.table ?? "";
    this.#client.query(this.#copy as unknown as pg.QueryConfig);
    try {
      await this.#copy.ready;
    } catch (error) {
      throw new Error(
        `${piece.where}: the server refused the COPY into ${this.#copyTable}: ${(error as Error).message}`,
      );
    }
  }

  async #endCopy(): Promise<void> {
    const copy = this.#copy;
    if (!copy) throw new Error("the end of COPY data outside a COPY");
    let rows: number;
    try {
      rows = await copy.end();
    } catch (error) {
      throw new Error(`the server refused the COPY data of ${this.#copyTable}: ${(error as Error).message}`);
    }
    this.#copy = undefined;
    this.#counts[this.#copyTable] = (this.#counts[this.#copyTable] ?? 0) + rows;
    this.#checkAfterStatement(`the COPY data of ${this.#copyTable}`);
  }

  #checkUntampered(): void {
    if (this.#tampered) throw new LoadTampered(this.#tampered);
  }

  #checkAfterStatement(where: string): void {
    this.#checkUntampered();
    const status = (this.#client as unknown as { _txStatus?: string })._txStatus;
    if (status !== undefined && status !== "T") {
      throw new LoadTampered(`after ${where} the restore's transaction is no longer open (status ${status})`);
    }
  }

  /**
   * Ends the load without COMMIT: a COPY under way is failed, the transaction rolled back, the
   * connection closed. Nothing of the load stays (what cannot be rolled back, the validator refuses).
   */
  async abort(): Promise<void> {
    const copy = this.#copy;
    this.#copy = undefined;
    if (copy) {
      const connection = (this.#client as unknown as { connection: { sendCopyFail(message: string): void } })
        .connection;
      connection.sendCopyFail("lh-ci: the restore was aborted");
      await copy.done.catch(() => undefined);
    }
    await this.#client.query("ROLLBACK").catch(() => undefined);
    await this.end();
  }

  async end(): Promise<void> {
    await this.#client.end().catch(() => undefined);
  }
}
