export interface BackupMetrics {
  envName: string;
  /** When the backup finished. */
  finishedAt: Date;
  sizeBytes: number;
}

/** The Prometheus text exposition of a successful backup; the environment is a grouping-key label. */
export function backupMetricsText(metrics: BackupMetrics): string {
  return [
    "# HELP lawyers_hub_backup_last_success_timestamp_seconds Unix time of the last successful database backup.",
    "# TYPE lawyers_hub_backup_last_success_timestamp_seconds gauge",
    `lawyers_hub_backup_last_success_timestamp_seconds ${Math.floor(metrics.finishedAt.getTime() / 1000)}`,
    "# HELP lawyers_hub_backup_size_bytes Size of the last successful database backup file.",
    "# TYPE lawyers_hub_backup_size_bytes gauge",
    `lawyers_hub_backup_size_bytes ${metrics.sizeBytes}`,
    "",
  ].join("\n");
}

export function pushUrl(baseUrl: string, envName: string, job = "lawyers_hub_backup"): string {
  return `${baseUrl.replace(/\/+$/, "")}/metrics/job/${job}/env/${encodeURIComponent(envName)}`;
}

/** Another metric family pushed as its own group (its own job), so that neither push replaces the other's. */
export interface MetricsGroup {
  job: string;
  /** Prometheus text exposition of the whole group. */
  text: string;
}

/**
 * PUTs the metrics to the Pushgateway (replacing the group of this job and environment), so the
 * "no recent backup" alert has something to watch. Throws on failure; callers treat that as a warning.
 */
export async function pushBackupMetrics(
  baseUrl: string,
  metrics: BackupMetrics,
  timeoutMs = 5000,
  group?: MetricsGroup,
): Promise<void> {
  // Loaded only when a push happens: undici is a fifth of lh-ci's start-up time.
  const { request } = await import("undici");
  const response = await request(pushUrl(baseUrl, metrics.envName, group?.job), {
    method: "PUT",
    headers: { "content-type": "text/plain; version=0.0.4" },
    body: group?.text ?? backupMetricsText(metrics),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.body.text();
  if (response.statusCode >= 300) {
    throw new Error(`the Pushgateway answered ${response.statusCode}${text ? `: ${text.trim().slice(0, 200)}` : ""}`);
  }
}
