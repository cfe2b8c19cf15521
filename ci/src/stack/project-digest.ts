/**
 * One sha256 over the project folders (compose/, monitoring/) as deploy copies them: every entry's
 * path, type and permission bits, each file's content, each link's target (never followed). Equal
 * on both sides means the copy on the engine's host is already what deploy would put there.
 */
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";

/** Beyond these the folders are not compared (deploy copies them instead): a bound, not a limit. */
export const DIGEST_MAX_ENTRIES = 20_000;
export const DIGEST_MAX_BYTES = 256 * 1024 * 1024;

export class DigestTooLarge extends Error {
  override name = "DigestTooLarge";
}

export function projectDigest(root: string, folders: readonly string[]): string {
  const hash = createHash("sha256");
  let entries = 0;
  let bytes = 0;
  const visit = (relative: string): void => {
    entries += 1;
    if (entries > DIGEST_MAX_ENTRIES) throw new DigestTooLarge(`more than ${DIGEST_MAX_ENTRIES} entries`);
    let stat: ReturnType<typeof lstatSync>;
    try {
      stat = lstatSync(join(root, relative));
    } catch (error) {
      // Missing is an answer; unreadable is not (the caller copies the files when in doubt).
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      hash.update(`missing ${relative}\0`);
      return;
    }
    const mode = (stat.mode & 0o7777).toString(8);
    if (stat.isDirectory()) {
      hash.update(`dir ${relative} ${mode}\0`);
      for (const name of readdirSync(join(root, relative)).sort()) visit(`${relative}/${name}`);
    } else if (stat.isSymbolicLink()) {
      hash.update(`link ${relative} ${readlinkSync(join(root, relative))}\0`);
    } else if (stat.isFile()) {
      bytes += stat.size;
      if (bytes > DIGEST_MAX_BYTES) throw new DigestTooLarge(`more than ${DIGEST_MAX_BYTES} bytes`);
      hash.update(`file ${relative} ${mode} ${stat.size}\0`);
      hash.update(readFileSync(join(root, relative)));
    } else {
      hash.update(`other ${relative}\0`);
    }
  };
  for (const folder of folders) visit(folder);
  return hash.digest("hex");
}
