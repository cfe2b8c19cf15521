import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** One migration of a Prisma migrations folder: `<timestamp>_<name>/migration.sql`. */
export interface MigrationFile {
  /** The folder name, which Prisma records as `migration_name`. */
  name: string;
  /** Absolute or cwd-relative path of migration.sql. */
  path: string;
  sql: string;
  /** sha256 (hex) of migration.sql, as Prisma records it in `_prisma_migrations.checksum`. */
  checksum: string;
}

export function migrationChecksum(sql: string | Buffer): string {
  return createHash("sha256").update(sql).digest("hex");
}

/** Lists the migrations of a Prisma migrations folder in the order Prisma applies them (by name). */
export function readMigrationsFolder(dir: string): MigrationFile[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new Error(
      `migrations folder ${dir} does not exist; pass --migrations-dir with the path of prisma/migrations`,
    );
  }
  return readdirSync(dir)
    .filter((entry) => existsSync(join(dir, entry, "migration.sql")))
    .sort()
    .map((name) => {
      const path = join(dir, name, "migration.sql");
      const bytes = readFileSync(path);
      return { name, path, sql: bytes.toString("utf8"), checksum: migrationChecksum(bytes) };
    });
}
