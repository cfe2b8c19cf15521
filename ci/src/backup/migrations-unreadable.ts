// Its own module: create-backup checks for it before the dump's reader (migrations-in-dump.ts) has loaded.

/** Thrown when the dump's migrations table cannot be read (a row over MAX_ROW_BYTES). */
export class MigrationsUnreadable extends Error {
  override name = "MigrationsUnreadable";
}
