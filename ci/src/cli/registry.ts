import type { Command } from "./command.ts";

/** A command by name; its module (and the libraries it pulls in) loads only when it runs. */
export interface CommandEntry {
  name: string;
  load(): Promise<Command>;
}

/**
 * Every lh-ci command. A new command is one module in src/commands and one line here.
 * Loading lazily keeps `lh-ci <command>` from paying for every other command's imports
 * (pg, ioredis, undici, the WebAssembly SQL parser): start-up counts in backup and restore.
 * Keep the list sorted by name; the name must equal the module's `name`.
 */
export const COMMANDS: CommandEntry[] = [
  { name: "backup", load: async () => (await import("../commands/backup.ts")).backup },
  { name: "backup prune", load: async () => (await import("../commands/backup-prune.ts")).backupPrune },
  { name: "backup schedule", load: async () => (await import("../commands/backup-schedule.ts")).backupSchedule },
  { name: "backup verify", load: async () => (await import("../commands/backup-verify.ts")).backupVerify },
  { name: "database role", load: async () => (await import("../commands/database-role.ts")).databaseRole },
  { name: "deploy", load: async () => (await import("../commands/deploy.ts")).deploy },
  { name: "env check", load: async () => (await import("../commands/env-check.ts")).envCheck },
  { name: "lock acquire", load: async () => (await import("../commands/lock-acquire.ts")).lockAcquire },
  { name: "lock release", load: async () => (await import("../commands/lock-release.ts")).lockRelease },
  { name: "lock status", load: async () => (await import("../commands/lock-status.ts")).lockStatus },
  { name: "migrations check", load: async () => (await import("../commands/migrations-check.ts")).migrationsCheck },
  { name: "migrations status", load: async () => (await import("../commands/migrations-status.ts")).migrationsStatus },
  { name: "project digest", load: async () => (await import("../commands/project-digest.ts")).projectDigest },
  { name: "releases current", load: async () => (await import("../commands/releases-current.ts")).releasesCurrent },
  { name: "releases list", load: async () => (await import("../commands/releases-list.ts")).releasesList },
  { name: "releases previous", load: async () => (await import("../commands/releases-previous.ts")).releasesPrevious },
  { name: "releases record", load: async () => (await import("../commands/releases-record.ts")).releasesRecord },
  { name: "restore", load: async () => (await import("../commands/restore.ts")).restore },
  { name: "rollback", load: async () => (await import("../commands/rollback.ts")).rollback },
  { name: "session", load: async () => (await import("../commands/session.ts")).session },
  { name: "stack backup", load: async () => (await import("../commands/stack-backup.ts")).stackBackup },
  { name: "stack compose", load: async () => (await import("../commands/stack-compose.ts")).stackCompose },
  {
    name: "stack database-role",
    load: async () => (await import("../commands/stack-database-role.ts")).stackDatabaseRole,
  },
  { name: "stack logs", load: async () => (await import("../commands/stack-logs.ts")).stackLogs },
  { name: "stack migrate", load: async () => (await import("../commands/stack-migrate.ts")).stackMigrate },
  { name: "stack ops", load: async () => (await import("../commands/stack-ops.ts")).stackOps },
  { name: "stack restore", load: async () => (await import("../commands/stack-restore.ts")).stackRestore },
  { name: "stack status", load: async () => (await import("../commands/stack-status.ts")).stackStatus },
  { name: "stack verify", load: async () => (await import("../commands/stack-verify.ts")).stackVerify },
  { name: "verify", load: async () => (await import("../commands/verify.ts")).verify },
];
