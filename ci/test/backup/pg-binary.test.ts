import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pgBinary } from "../../src/backup/pg-binary.ts";
import { tempDir } from "../support/temp-dir.ts";

function executable(path: string): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, "#!/bin/sh\n");
  chmodSync(path, 0o755);
}

describe("which pg_dump and psql lh-ci runs", () => {
  it("replaces Debian's pg_wrapper with the newest version's program, as the wrapper would pick", () => {
    const dir = tempDir("lh-pg-binary-");
    const root = join(dir, "lib");
    executable(join(dir, "share", "postgresql-common", "pg_wrapper"));
    mkdirSync(join(dir, "bin"));
    symlinkSync(join(dir, "share", "postgresql-common", "pg_wrapper"), join(dir, "bin", "pg_dump"));
    executable(join(root, "13", "bin", "pg_dump"));
    executable(join(root, "15", "bin", "pg_dump"));
    mkdirSync(join(root, "16", "bin"), { recursive: true }); // a version without the client program
    expect(pgBinary("pg_dump", join(dir, "bin"), root)).toBe(join(root, "15", "bin", "pg_dump"));
  });

  it("keeps whatever else PATH finds first (another install, a test's stand-in), and the bare name when none", () => {
    const dir = tempDir("lh-pg-binary-");
    executable(join(dir, "bin", "psql"));
    expect(pgBinary("psql", join(dir, "bin"), join(dir, "lib"))).toBe("psql");
    expect(pgBinary("pg_dump", join(dir, "nothing"), join(dir, "lib"))).toBe("pg_dump");
  });
});
