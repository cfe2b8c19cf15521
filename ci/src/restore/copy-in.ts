import type { Socket } from "node:net";

/** The parts of pg's connection a COPY FROM STDIN uses (pg has no public API for it). */
interface CopyConnection {
  query(text: string): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
  stream: Socket;
}

/**
 * One `COPY ... FROM STDIN` over a pg client, as a query pg's client queues like any other
 * (`client.query(copy)`): the data is sent as CopyData messages, never as SQL, so no byte of it can
 * be read as a statement. Written here rather than taken from pg-copy-streams: the restore needs only
 * this (send chunks with the socket's backpressure, learn the row count or the error), and it builds
 * the COPY text itself from the checked parse tree.
 */
export class CopyIn {
  /** Resolves once the server accepts data; rejects when it refused the COPY. */
  readonly ready: Promise<void>;
  /** Resolves with the rows the server loaded, once it is ready for the next statement. */
  readonly done: Promise<number>;
  #connection: CopyConnection | undefined;
  #error: Error | undefined;
  #rows: number | undefined;
  #ready!: { resolve: () => void; reject: (error: Error) => void };
  #done!: { resolve: (rows: number) => void; reject: (error: Error) => void };

  readonly text: string;

  constructor(text: string) {
    this.text = text;
    this.ready = new Promise((resolve, reject) => {
      this.#ready = { resolve, reject };
    });
    this.done = new Promise((resolve, reject) => {
      this.#done = { resolve, reject };
    });
    this.ready.catch(() => undefined); // `done` carries the same error to whoever awaits it
    this.done.catch(() => undefined);
  }

  /** Sends a chunk of COPY data; resolves when the socket can take more. */
  async write(chunk: Buffer): Promise<void> {
    const connection = this.#connection;
    if (this.#error || !connection) throw this.#error ?? new Error("COPY data before the server accepted the COPY");
    if (!connection.stream.writable) throw new Error("the connection to the server closed during COPY");
    sendCopyData(connection.stream, chunk);
    if (connection.stream.writableNeedDrain) {
      await new Promise<void>((resolve) => {
        const settle = () => {
          connection.stream.off("drain", settle);
          connection.stream.off("close", settle);
          resolve();
        };
        connection.stream.on("drain", settle);
        connection.stream.on("close", settle);
      });
    }
  }

  /** Ends the data; resolves with the rows loaded (the server's `COPY n`). */
  end(): Promise<number> {
    if (!this.#error) this.#connection?.endCopyFrom();
    return this.done;
  }

  // The query protocol of pg's client (it calls these on its active query).
  submit(connection: CopyConnection): void {
    connection.query(this.text);
  }
  handleCopyInResponse(connection: CopyConnection): void {
    this.#connection = connection;
    this.#ready.resolve();
  }
  handleCommandComplete(message: { text: string }): void {
    const rows = /^COPY (\d+)$/.exec(message.text);
    this.#rows = rows ? Number(rows[1]) : undefined;
  }
  /** pg's client drops a failed query at once (it never sees ReadyForQuery): both promises settle here. */
  handleError(error: Error): void {
    this.#error ??= error;
    this.#ready.reject(error);
    this.#done.reject(error);
  }
  handleReadyForQuery(): void {
    if (this.#error) this.#done.reject(this.#error);
    else if (this.#rows === undefined) this.#done.reject(new Error("the server did not report the rows COPY loaded"));
    else this.#done.resolve(this.#rows);
    this.#ready.reject(this.#error ?? new Error("the COPY ended before it accepted data"));
  }
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}

/** CopyData: the byte `d`, then the message's length (itself included) as a 32-bit big-endian integer. */
const COPY_DATA = 0x64;

/**
 * One CopyData message, its 5-byte header and the chunk handed to the socket together (one
 * writev) rather than joined into a new buffer as pg's own sendCopyFromChunk does: that copied
 * every megabyte of the dump once more and left a buffer as large for the collector each time.
 */
function sendCopyData(socket: Socket, chunk: Buffer): void {
  const header = Buffer.allocUnsafe(5);
  header[0] = COPY_DATA;
  header.writeUInt32BE(chunk.length + 4, 1);
  socket.cork();
  socket.write(header);
  socket.write(chunk);
  socket.uncork();
}
