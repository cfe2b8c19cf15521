import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";

/** Passes bytes through while computing their sha256 and count: the checksum costs no second read. */
export class ByteMeter extends Transform {
  readonly #hash = createHash("sha256");
  #bytes = 0;
  readonly #onBytes: ((total: number) => void) | undefined;

  constructor(onBytes?: (total: number) => void) {
    super();
    this.#onBytes = onBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.observe(chunk);
    callback(null, chunk);
  }

  /** Counts and hashes bytes that do not flow through the stream (a file another process writes). */
  observe(chunk: Buffer): void {
    this.#hash.update(chunk);
    this.#bytes += chunk.length;
    this.#onBytes?.(this.#bytes);
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** The hex digest; call once, after the stream has ended. */
  digest(): string {
    return this.#hash.digest("hex");
  }
}
