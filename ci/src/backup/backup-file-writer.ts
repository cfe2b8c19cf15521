import { chmodSync, createWriteStream, unlinkSync, type WriteStream } from "node:fs";
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
  readonly #stream: WriteStream;
  readonly #stopSignalCleanup: () => void;

  constructor(path: string) {
    this.path = path;
    this.#temporary = temporaryPathFor(path);
    // flush: fsync before close, so the bytes are on disk before the file gets its final name.
    this.#stream = createWriteStream(this.#temporary, { flags: "wx", mode: PRIVATE_MODE, flush: true });
    this.#stopSignalCleanup = removeOnSignal(this.#temporary);
  }

  /** Where the dump bytes go; ending it flushes and closes the file. */
  stream(): WriteStream {
    return this.#stream;
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
    this.#stream.destroy();
    removeQuietly(this.#temporary);
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
function removeOnSignal(temporary: string): () => void {
  const handler = (signal: NodeJS.Signals) => {
    removeQuietly(temporary);
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", handler);
  process.once("SIGTERM", handler);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
}
