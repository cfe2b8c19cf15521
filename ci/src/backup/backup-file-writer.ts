import { chmodSync, closeSync, createWriteStream, fsyncSync, openSync, unlinkSync, type WriteStream } from "node:fs";
import { FlushBehind } from "./flush-behind.ts";
import { sidecarPathOf } from "./naming.ts";
import { PRIVATE_MODE, publishExclusive, temporaryPathFor, writePrivateFileExclusive } from "./private-file.ts";
import { type BackupMetadata, serializeSidecar } from "./sidecar.ts";

/**
 * A backup file being written: under a hidden temporary name (mode 0600) until `commit`, which
 * flushes it, writes the sidecar and only then gives the dump its final name, so that a backup
 * file that exists is complete and has its sidecar. `discard` (or a SIGINT/SIGTERM) removes it.
 */
export class BackupFileWriter {
  readonly path: string;
  readonly #temporary: string;
  /** The open temporary file: written by Node (`stream()`) or by a child process (`fd`). */
  readonly fd: number;
  #stream: WriteStream | undefined;
  #closed = false;
  readonly #stopSignalCleanup: () => void;
  readonly #flushBehind: FlushBehind;

  /** `alsoOnSignal`: what else a SIGINT/SIGTERM must undo before exiting (the name's claim). */
  constructor(path: string, alsoOnSignal: () => void = () => {}) {
    this.path = path;
    this.#temporary = temporaryPathFor(path);
    this.fd = openSync(this.#temporary, "wx", PRIVATE_MODE);
    this.#stopSignalCleanup = removeOnSignal(this.#temporary, alsoOnSignal);
    this.#flushBehind = new FlushBehind(this.fd);
  }

  /** Where the dump bytes go; ending it flushes and closes the file. */
  /** The hidden name the dump is written under until `commit`. */
  get temporaryPath(): string {
    return this.#temporary;
  }

  stream(): WriteStream {
    // flush: fsync before close, so the bytes are on disk before the file gets its final name.
    this.#stream ??= createWriteStream("", { fd: this.fd, flush: true }).on("close", () => {
      this.#closed = true;
    });
    return this.#stream;
  }

  /** While a child process writes to `fd`: it has written at least `bytes` (flushed to disk behind it). */
  directlyWritten(bytes: number): void {
    this.#flushBehind.written(bytes);
  }

  /** After a child process wrote to `fd`: flush the bytes to disk and close the file. */
  async finishDirectWrite(): Promise<void> {
    await this.#flushBehind.settle();
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.#closed = true;
  }

  /** Call once the stream has finished (closed). */
  async commit(metadata: BackupMetadata): Promise<void> {
    chmodSync(this.#temporary, PRIVATE_MODE); // the umask may have narrowed it, never widened: be explicit
    const sidecar = sidecarPathOf(this.path);
    writePrivateFileExclusive(sidecar, serializeSidecar(metadata));
    try {
      publishExclusive(this.#temporary, this.path);
    } catch (error) {
      unlinkSync(sidecar);
      throw error;
    } finally {
      this.#stopSignalCleanup();
    }
  }

  async discard(): Promise<void> {
    this.#stopSignalCleanup();
    await this.#flushBehind.settle().catch(() => undefined); // not closed under a flush in progress
    if (this.#stream) this.#stream.destroy();
    else if (!this.#closed) closeQuietly(this.fd);
    this.#closed = true;
    removeQuietly(this.#temporary);
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** An operator's Ctrl-C (or `docker stop`) must not leave a partial dump behind either. */
function removeOnSignal(temporary: string, alsoOnSignal: () => void): () => void {
  const handler = (signal: NodeJS.Signals) => {
    removeQuietly(temporary);
    alsoOnSignal();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", handler);
  process.once("SIGTERM", handler);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
}
