import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, linkSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { explainWriteFailure } from "./write-failure.ts";

/** Writes a new file beside `path` and flushes it to disk; returns its path. */
function writeTemporary(path: string, content: string, mode: number): string {
  const temporary = join(dirname(path), `.${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(temporary, "wx", mode);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } catch (error) {
    // A full disk must not leave a .tmp file behind (it would only take more of the space).
    closeSync(fd);
    unlinkSync(temporary);
    throw explainWriteFailure(error, path);
  }
  closeSync(fd);
  return temporary;
}

/** Flushes a directory entry change (a create, rename or unlink) to disk. */
export function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates `path` with its whole content, atomically, only if it does not exist yet (a hard link
 * fails with EEXIST like O_EXCL, and readers never see a half-written file). Returns false when
 * the file already exists.
 */
export function createExclusive(path: string, content: string, mode = 0o644): boolean {
  const temporary = writeTemporary(path, content, mode);
  try {
    linkSync(temporary, path);
    fsyncDirectory(dirname(path));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    unlinkSync(temporary);
  }
}

/** Replaces `path` with new content atomically (write, fsync, rename). */
export function replaceAtomically(path: string, content: string, mode = 0o644): void {
  const temporary = writeTemporary(path, content, mode);
  try {
    renameSync(temporary, path);
  } catch (error) {
    unlinkSync(temporary);
    throw error;
  }
  fsyncDirectory(dirname(path));
}
