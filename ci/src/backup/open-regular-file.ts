import { closeSync, constants, createReadStream, fstatSync, openSync, type ReadStream } from "node:fs";
import { OperationError } from "../cli/exit-codes.ts";

/**
 * The file opened non-blocking and checked on its descriptor: a FIFO or a device put in a
 * backup's place cannot hang the read, even if it was swapped in after an earlier check.
 */
export function openRegularFile(path: string, highWaterMark?: number): ReadStream {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw new OperationError(`${path} is not a regular file; pass the path of a .sql or .sql.gz backup file`);
  }
  return createReadStream("", { fd, highWaterMark });
}
