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
  // Every field ends with NUL, which no path or link target can hold, and a file's content follows
  // its length: no two different trees give the same bytes ("a" -> "b c" and "a b" -> "c" did).
  const record = (...fields: (string | number)[]) => hash.update(fields.map((field) => `${field}\0`).join(""));
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
      record("missing", relative);
      return;
    }
    const mode = (stat.mode & 0o7777).toString(8);
    if (stat.isDirectory()) {
      record("dir", relative, mode);
      for (const name of readdirSync(join(root, relative)).sort()) visit(`${relative}/${name}`);
    } else if (stat.isSymbolicLink()) {
      record("link", relative, readlinkSync(join(root, relative)));
    } else if (stat.isFile()) {
      bytes += stat.size;
      if (bytes > DIGEST_MAX_BYTES) throw new DigestTooLarge(`more than ${DIGEST_MAX_BYTES} bytes`);
      const content = readFileSync(join(root, relative));
      record("file", relative, mode, content.length);
      hash.update(content);
    } else {
      record("other", relative);
    }
  };
  for (const folder of folders) visit(folder);
  return hash.digest("hex");
}
