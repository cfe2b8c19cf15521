import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";

/** Why a small file (a sidecar, a lock) could not be read: not there, not a regular file, too large. */
export type SmallFileProblem = "missing" | "not-regular" | "too-large";

export class SmallFileError extends Error {
  override name = "SmallFileError";
  readonly problem: SmallFileProblem;

  constructor(problem: SmallFileProblem, message: string) {
    super(message);
    this.problem = problem;
  }
}

/**
 * Reads a small file whole, refusing anything but a regular file of at most `limitBytes`.
 * Opened non-blocking and checked on the open descriptor: a FIFO cannot hang the read, a device
 * or a 400 MB file is not read at all, and a swap between check and read changes nothing.
 */
export function readRegularFile(path: string, limitBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new SmallFileError("missing", "does not exist");
    throw error;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new SmallFileError("not-regular", "is not a regular file");
    if (stat.size > limitBytes) {
      throw new SmallFileError("too-large", `is ${stat.size} bytes, over the ${limitBytes} byte limit`);
    }
    // One byte more than allowed: a file still growing past the limit is caught too.
    const buffer = Buffer.alloc(limitBytes + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > limitBytes) throw new SmallFileError("too-large", `is over the ${limitBytes} byte limit`);
    }
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}
