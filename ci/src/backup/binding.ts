import { basename } from "node:path";
import { OperationError, UsageError } from "../cli/exit-codes.ts";
import type { BackupMetadata } from "./sidecar.ts";

/** What a backup is about to be restored into (or checked for). */
export interface BackupTarget {
  path: string;
  envName: string;
  /** The target database's name, when there is one (restore, the restore test). */
  database?: string;
  allowCrossEnv: boolean;
}

/**
 * The sidecar's (signed) file name, environment and database compared with the real file and the
 * target: a signed backup of another database, renamed into the staging folder, is still that
 * database's backup. The size is compared by checkBackupRecord. Nothing is changed before this.
 */
export function checkBinding(metadata: BackupMetadata, target: BackupTarget): void {
  const name = basename(target.path);
  if (metadata.file !== name) {
    throw new OperationError(
      `${name}: its sidecar records the file ${JSON.stringify(metadata.file)}; a backup must keep the name it was taken under (the signature covers it). Use the backup under its original name (nothing was changed)`,
    );
  }
  if (target.allowCrossEnv) return;
  if (metadata.environment !== target.envName) {
    throw new UsageError(
      `refusing a backup of ${metadata.environment} for ${target.envName}: pass --allow-cross-env if that is really intended (nothing was changed)`,
    );
  }
  if (target.database !== undefined && metadata.database !== target.database) {
    throw new UsageError(
      `refusing a backup of the database ${metadata.database} for the database ${target.database}: pass --allow-cross-env if that is really intended (nothing was changed)`,
    );
  }
}
