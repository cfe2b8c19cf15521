import { BodyProblem, readBoundedBody } from "../http/bounded-body.ts";
import { urlUnder } from "../http/url-under.ts";
import { escapeControl } from "../output/escape-control.ts";

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

/** Where to PUT, without any user and password the URL carries (those go in a header). */
export function pushUrl(baseUrl: string, envName: string, job = "lawyers_hub_backup"): string {
  const url = urlUnder(baseUrl, `metrics/job/${job}/env/${encodeURIComponent(envName)}`);
  url.username = "";
  url.password = "";
  return url.toString();
}

/** Another metric family pushed as its own group (its own job), so that neither push replaces the other's. */
export interface MetricsGroup {
  job: string;
  /** Prometheus text exposition of the whole group. */
  text: string;
}

/** `Authorization: Basic ...` from the user and password inside PUSHGATEWAY_URL, if any. */
export function basicAuthorization(baseUrl: string): string | undefined {
  const url = new URL(baseUrl);
  if (!url.username && !url.password) return undefined;
  const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return `Basic ${Buffer.from(credentials, "utf8").toString("base64")}`;
}

/**
 * PUTs the metrics to the Pushgateway (replacing the group of this job and environment), so the
 * "no recent backup" alert has something to watch. The timeout bounds the whole exchange and the
 * reply is read to at most 64 KiB. Throws on failure; callers treat that as a warning.
 */
export async function pushBackupMetrics(
  baseUrl: string,
  metrics: BackupMetrics,
  timeoutMs = 5000,
  group?: MetricsGroup,
): Promise<void> {
  // Loaded only when a push happens: undici is a fifth of lh-ci's start-up time.
  const { request } = await import("undici");
  const signal = AbortSignal.timeout(timeoutMs);
  const authorization = basicAuthorization(baseUrl);
  const response = await request(pushUrl(baseUrl, metrics.envName, group?.job), {
    method: "PUT",
    headers: {
      "content-type": "text/plain; version=0.0.4",
      ...(authorization ? { authorization } : {}),
    },
    body: group?.text ?? backupMetricsText(metrics),
    signal,
  });
  const text = await readBoundedBody(response, signal).catch((error: unknown) => {
    if (error instanceof BodyProblem) throw new Error(`the Pushgateway's reply is unreadable: ${error.message}`);
    throw error;
  });
  if (response.statusCode >= 300) {
    const excerpt = escapeControl(text.trim().slice(0, 200));
    throw new Error(`the Pushgateway answered ${response.statusCode}${excerpt ? `: ${excerpt}` : ""}`);
  }
}
