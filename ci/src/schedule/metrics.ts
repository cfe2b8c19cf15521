import { pushBackupMetrics } from "../pushgateway/push-backup-metrics.ts";
import type { ScheduleState } from "./schedule-state.ts";

/** The schedule's own group on the Pushgateway: `lh-ci backup` PUTs lawyers_hub_backup's, which would replace these. */
export const SCHEDULE_JOB = "lawyers_hub_backup_schedule";

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** The Prometheus text exposition of the schedule's state. */
export function scheduleMetricsText(state: ScheduleState, restoreTestIntervalMs: number): string {
  const lines: string[] = [];
  const metric = (name: string, type: "gauge" | "counter", help: string, value: number) =>
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
  metric("lawyers_hub_backup_failures_total", "counter", "Scheduled backup runs that failed.", state.failures);
  if (state.lastBackup) {
    metric(
      "lawyers_hub_backup_last_duration_seconds",
      "gauge",
      "How long the last successful scheduled backup took.",
      state.lastBackup.durationSeconds,
    );
  }
  metric(
    "lawyers_hub_backup_restore_test_interval_seconds",
    "gauge",
    "How often the backup service restores a backup into a scratch database.",
    Math.round(restoreTestIntervalMs / 1000),
  );
  const test = state.restoreTest;
  if (test) {
    metric(
      "lawyers_hub_backup_restore_test_success",
      "gauge",
      "1 when the last restore test restored the backup with the recorded row counts, 0 when it failed.",
      test.ok ? 1 : 0,
    );
    if (test.lastSuccessAt) {
      metric(
        "lawyers_hub_backup_restore_test_last_success_timestamp_seconds",
        "gauge",
        "Unix time of the last successful restore test.",
        seconds(test.lastSuccessAt),
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

/** PUTs the schedule's group; throws on failure (the caller logs a warning). */
export async function pushScheduleMetrics(
  baseUrl: string,
  envName: string,
  state: ScheduleState,
  restoreTestIntervalMs: number,
): Promise<void> {
  await pushBackupMetrics(baseUrl, { envName, finishedAt: new Date(), sizeBytes: 0 }, 5000, {
    job: SCHEDULE_JOB,
    text: scheduleMetricsText(state, restoreTestIntervalMs),
  });
}
