/**
 * Moving backups between the stack's backups volume and a local folder, through the ops container
 * (the volume is not reachable otherwise when the engine is remote). A copy out appears under its
 * name only once complete and checked against its sidecar; nothing half-written is left behind.
 */
import { createWriteStream, renameSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { finished } from "node:stream/promises";
import { sidecarPathOf } from "../backup/naming.ts";
import { verifyBackupFile } from "../backup/verify-backup.ts";
import type { Stack } from "./stack.ts";

async function copyOut(stack: Stack, release: string, name: string, path: string): Promise<void> {
  const partial = `${path}.partial`;
  const file = createWriteStream(partial, { mode: 0o600 });
  try {
    await stack.readBackupFile(release, name, file);
    file.end();
    await finished(file);
    renameSync(partial, path);
  } catch (error) {
    file.destroy();
    rmSync(partial, { force: true });
    throw error;
  }
}

/** Copies a backup and its sidecar from the volume into `dir`, then verifies the copy's checksum. */
export async function fetchBackup(stack: Stack, release: string, name: string, dir: string): Promise<string> {
  const path = join(dir, name);
  await copyOut(stack, release, `${name}.json`, sidecarPathOf(path));
  try {
    await copyOut(stack, release, name, path);
    await verifyBackupFile(path);
  } catch (error) {
    rmSync(path, { force: true });
    rmSync(sidecarPathOf(path), { force: true });
    throw error;
  }
  return path;
}

/** Checks a local backup against its sidecar, then copies both into the volume; returns its name. */
export async function storeBackup(stack: Stack, release: string, path: string): Promise<string> {
  await verifyBackupFile(path);
  const name = basename(path);
  await stack.writeBackupFile(release, sidecarPathOf(path), `${name}.json`);
  await stack.writeBackupFile(release, path, name);
  return name;
}
