import { accessSync, constants, existsSync, readdirSync, realpathSync } from "node:fs";
import { delimiter, join } from "node:path";

/** Where Debian (and so the ops image) installs each PostgreSQL major version's client programs. */
const DEBIAN_PG_ROOT = "/usr/lib/postgresql";

const resolved = new Map<string, string>();

function onPath(name: string, path: string): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function newestDebianBinary(name: string, root: string): string | undefined {
  try {
    return readdirSync(root)
      .filter((entry) => /^\d+$/.test(entry))
      .sort((a, b) => Number(b) - Number(a))
      .map((version) => join(root, version, "bin", name))
      .find((path) => existsSync(path));
  } catch {
    return undefined;
  }
}

/**
 * The PostgreSQL client program to run: `name` as PATH finds it, except Debian's pg_wrapper
 * (`/usr/bin/pg_dump` in the ops image), which is replaced by the program it would run for a server
 * given by URL, the newest version's under /usr/lib/postgresql, without its Perl start (about
 * 20 ms per backup or restore).
 */
export function pgBinary(name: "pg_dump" | "psql", path = process.env.PATH ?? "", root = DEBIAN_PG_ROOT): string {
  const key = [name, path, root].join("\0");
  const known = resolved.get(key);
  if (known) return known;
  const found = onPath(name, path);
  let program: string = name;
  try {
    if (found && realpathSync(found).endsWith("/postgresql-common/pg_wrapper")) {
      program = newestDebianBinary(name, root) ?? name;
    }
  } catch {
    // a dangling link: let spawn report it
  }
  resolved.set(key, program);
  return program;
}
