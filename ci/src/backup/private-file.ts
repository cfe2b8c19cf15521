import { randomBytes } from "node:crypto";
import { linkSync, unlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { createExclusive, fsyncDirectory } from "../state/durable-file.ts";

/** Backups and their sidecars hold customer data: owner read/write only. */
export const PRIVATE_MODE = 0o600;

/** A hidden temporary name beside `path` that never matches the backup naming pattern. */
export function temporaryPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(4).toString("hex")}.partial`);
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
  if (!createExclusive(path, content, PRIVATE_MODE)) {
    throw new Error(`${path} already exists; it was not overwritten`);
  }
}
