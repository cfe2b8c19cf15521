import { pushBackupMetrics } from "./push-backup-metrics.ts";

/**
 * Pushes a successful backup's metrics when PUSHGATEWAY_URL is set. A failed push is a warning:
 * the backup itself is fine, and the missing metric makes the staleness alert fire anyway.
 */
export async function reportBackupToPushgateway(
  pushgatewayUrl: string | undefined,
  envName: string,
  sizeBytes: number,
  log: { info(line: string): void; warn(line: string): void },
): Promise<void> {
  if (!pushgatewayUrl) return;
  try {
    await pushBackupMetrics(pushgatewayUrl, { envName, finishedAt: new Date(), sizeBytes });
    log.info(`Backup metrics pushed to the Pushgateway (${envName}).`);
  } catch (error) {
    log.warn(
      `could not push the backup metrics to the Pushgateway at PUSHGATEWAY_URL (${(error as Error).message}); the backup itself succeeded. Check that the Pushgateway is up, or unset PUSHGATEWAY_URL`,
    );
  }
}
