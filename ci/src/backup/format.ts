import { isAbsolute, relative } from "node:path";

const UNITS = ["B", "KB", "MB", "GB", "TB"];

/** `1.4 MB`: sizes for people (powers of 1024, the way `du -h` and `ls -lh` count). */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

/** A path as the operator would type it: relative to the current directory when inside it. */
export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}
