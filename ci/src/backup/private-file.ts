import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, fsyncSync, linkSync, openSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** Backups and their sidecars hold customer data: owner read/write only. */
export const PRIVATE_MODE = 0o600;

/** A hidden temporary name beside `path` that never matches the backup naming pattern. */
export function temporaryPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(4).toString("hex")}.partial`);
}

/** Flushes a directory entry change (create, link, rename, unlink) to disk. */
export function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Publishes a finished temporary file under its final name, failing if that name exists
 * (a hard link refuses to overwrite, unlike rename), then removes the temporary name.
 */
export function publishExclusive(temporary: string, path: string): void {
  try {
    linkSync(temporary, path);
  } finally {
    unlinkSync(temporary);
  }
  fsyncDirectory(dirname(path));
}

/** Writes a small private file completely and durably under its final name, or not at all. */
export function writePrivateFileExclusive(path: string, content: string): void {
  const temporary = temporaryPathFor(path);
  const fd = openSync(temporary, "wx", PRIVATE_MODE);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(temporary);
    throw error;
  }
  closeSync(fd);
  chmodSync(temporary, PRIVATE_MODE);
  publishExclusive(temporary, path);
}
