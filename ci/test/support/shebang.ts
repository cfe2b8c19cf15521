import { readFileSync } from "node:fs";

/**
 * Node's options from an lh-ci entry's shebang (`#!/usr/bin/env -S node --`), so that tests and
 * benchmarks start lh-ci as its container does (see ci/bin/lh-ci.mjs).
 */
export function shebangNodeOptions(file: string): string[] {
  const words = (readFileSync(file, "utf8").split("\n", 1)[0] ?? "").split(" ");
  const node = words.indexOf("node");
  if (!words[0]?.startsWith("#!") || node < 0) throw new Error(`${file} has no node shebang`);
  return words.slice(node + 1).filter((word) => word !== "--");
}

/** Node's arguments that start the lh-ci entry `file` as its container does; lh-ci's own arguments follow. */
export function lhCiNodeArgs(file: string): string[] {
  // `--`: Node would otherwise take our --env-file option for its own.
  return [...shebangNodeOptions(file), "--", file];
}
