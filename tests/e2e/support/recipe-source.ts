/**
 * The module's source as Dagger hands it to the check containers, for the replay: the checkout
 * with the constructor's ignore patterns applied (dockerignore rules: the last matching pattern
 * wins, `!` takes a path back, a pattern that matches a folder matches what is inside it), and the
 * manifests alone (the layer that npm ci installs from).
 */
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join, matchesGlob } from "node:path";

/** Whether `relative` (a `/`-separated path) is left out by `patterns`. */
export function leftOut(patterns: readonly string[], relative: string): boolean {
  const parts = relative.split("/");
  const selfAndParents = parts.map((_, index) => parts.slice(0, index + 1).join("/"));
  let out = false;
  for (const raw of patterns) {
    const negated = raw.startsWith("!");
    const pattern = negated ? raw.slice(1) : raw;
    if (selfAndParents.some((path) => matchesGlob(path, pattern))) out = !negated;
  }
  return out;
}

/**
 * Every file of `root` that `patterns` keep, as relative paths. A folder left out is not walked
 * into (Dagger would take back a `.env.*.example` below node_modules; the replay does not need it).
 */
export function keptFiles(root: string, patterns: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (relative: string) => {
    for (const entry of readdirSync(join(root, relative), { withFileTypes: true })) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!leftOut(patterns, path)) walk(path);
      } else if (entry.isFile() && !leftOut(patterns, path)) {
        found.push(path);
      }
    }
  };
  walk("");
  return found.sort();
}

/** Copies `files` (relative to `from`) into `to`, keeping their modes. */
export function copyFiles(from: string, to: string, files: readonly string[]): void {
  for (const file of files) {
    mkdirSync(dirname(join(to, file)), { recursive: true });
    copyFileSync(join(from, file), join(to, file));
  }
}

/** The files among `files` that an include list (Dagger's `include`) selects. */
export function included(files: readonly string[], include: readonly string[]): string[] {
  return files.filter((file) => include.some((pattern) => matchesGlob(file, pattern)));
}
