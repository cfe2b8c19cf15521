import { backup } from "../commands/backup.ts";
import { backupPrune } from "../commands/backup-prune.ts";
import { backupVerify } from "../commands/backup-verify.ts";
import { envCheck } from "../commands/env-check.ts";
import { lockAcquire } from "../commands/lock-acquire.ts";
import { lockRelease } from "../commands/lock-release.ts";
import { lockStatus } from "../commands/lock-status.ts";
import { migrationsCheck } from "../commands/migrations-check.ts";
import { migrationsStatus } from "../commands/migrations-status.ts";
import { releasesCurrent } from "../commands/releases-current.ts";
import { releasesList } from "../commands/releases-list.ts";
import { releasesPrevious } from "../commands/releases-previous.ts";
import { releasesRecord } from "../commands/releases-record.ts";
import { restore } from "../commands/restore.ts";
import { verify } from "../commands/verify.ts";
import type { Command } from "./command.ts";

/**
 * Every lh-ci command. A new command is one module in src/commands and one line here.
 * Keep the list sorted by name.
 */
export const COMMANDS: Command[] = [
  backup,
  backupPrune,
  backupVerify,
  envCheck,
  lockAcquire,
  lockRelease,
  lockStatus,
  migrationsCheck,
  migrationsStatus,
  releasesCurrent,
  releasesList,
  releasesPrevious,
  releasesRecord,
  restore,
  verify,
];
