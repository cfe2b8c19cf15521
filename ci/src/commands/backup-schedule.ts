import { pgTarget } from "../backup/connection.ts";
import { backupDirectory } from "../backup/default-dir.ts";
import type { Command } from "../cli/command.ts";
import { ExitCode, UsageError } from "../cli/exit-codes.ts";
import { assertEnvName } from "../config/load.ts";
import { systemClock } from "../schedule/clock.ts";
import { heartbeatProblem, startHeartbeat } from "../schedule/heartbeat.ts";
import { type JobContext, type Phase, releaseActiveLocks, runBackupJob } from "../schedule/run-job.ts";
import { runSchedule } from "../schedule/schedule-loop.ts";
import { readScheduleState } from "../schedule/schedule-state.ts";
import { scheduleSettings } from "../schedule/settings.ts";
import { stateDirFor } from "../state/context.ts";
import { formatDuration } from "../state/duration.ts";

/** `lh-ci backup schedule`: the backup service of the compose stack. */
export const backupSchedule: Command = {
  name: "backup schedule",
  summary: "run backups on a schedule (with prune, restore tests and metrics) until stopped",
  help: `Usage: lh-ci backup schedule [--dir DIR] [--once | --health]

Runs until SIGTERM: a backup every day at BACKUP_SCHEDULE_TIME (UTC), then prune, then a push
of the metrics to PUSHGATEWAY_URL (when set); every BACKUP_RESTORE_TEST_INTERVAL the new backup
is also restored into a scratch database and its row counts compared (the role needs CREATEDB).
At start it backs up at once when the newest backup is older than BACKUP_SCHEDULE_INTERVAL.
Runs take the schedule's lock in the state directory (LH_STATE_DIR), so two schedulers never
take the same backup. Each run prints one JSON line on stdout: what it did, how long, the
file, what it pruned, the restore test. SIGTERM during a backup removes the partial file and
exits 143; SIGTERM while waiting exits 0.

Variables (defaults in brackets):
  BACKUP_SCHEDULE_TIME           UTC time of day, HH:MM [02:30]
  BACKUP_SCHEDULE_INTERVAL       time between backups, from that time of day [24h]; 30s, 15m, 6h...
  BACKUP_RESTORE_TEST_INTERVAL   time between restore tests [7d]
  BACKUP_KEEP_DAYS, BACKUP_KEEP_MIN  retention after each backup [7, 1]

Options:
  --dir DIR   the backups folder (default $LH_BACKUP_DIR, else backups/<env>)
  --once      one run now (backup, prune, restore test when due, metrics), then exit 0 or 1
  --health    exit 0 when a backup service runs in this container (its heartbeat is fresh), else 1`,
  options: {
    dir: { type: "string" },
    once: { type: "boolean", default: false },
    health: { type: "boolean", default: false },
  },
  async run(command) {
    const { values, out, cwd, envName, processEnv, loadConfig } = command;
    assertEnvName(envName);
    if (values.once && values.health) throw new UsageError("--once and --health exclude each other");
    if (values.health) {
      const problem = heartbeatProblem(envName);
      if (problem) out.error(problem);
      else out.result("backup schedule: running");
      return problem ? ExitCode.failed : ExitCode.ok;
    }
    const settings = scheduleSettings(processEnv);
    const { config } = loadConfig(["DATABASE_URL", "PUSHGATEWAY_URL", "BACKUP_SIGNING_KEY"]);
    const stateDir = stateDirFor(command);
    readScheduleState(stateDir); // a corrupt state file stops the service here, not at 02:30
    let phase: Phase = "idle";
    const stop = new AbortController();
    const context: JobContext = {
      target: pgTarget(config.DATABASE_URL),
      envName,
      dir: backupDirectory(values.dir, envName, cwd, processEnv),
      stateDir,
      signingKey: config.BACKUP_SIGNING_KEY,
      settings,
      pushgatewayUrl: config.PUSHGATEWAY_URL,
      clock: systemClock,
      log: out,
      onPhase: (next) => {
        phase = next;
      },
      signal: stop.signal,
    };
    const log = (record: object) => out.result(JSON.stringify(record));

    if (values.once) {
      const record = await runBackupJob(context, "once", systemClock.now());
      log(record);
      return record.outcome === "ok" ? ExitCode.ok : ExitCode.failed;
    }

    // Registered before any backup starts, so it runs before the backup file's own handler,
    // which removes the partial dump and exits: this one only logs and frees the lock.
    const onSignal = (signal: NodeJS.Signals) => {
      if (phase === "idle") {
        out.info(`${signal}: no backup running; the backup service stops.`);
        stop.abort();
        return;
      }
      log({ event: "backup-schedule", outcome: "interrupted", phase, signal, at: new Date().toISOString() });
      releaseActiveLocks(stateDir);
      setImmediate(() => process.exit(143));
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
    const stopHeartbeat = startHeartbeat(envName);
    out.info(
      `Backup service for ${envName}: backups into ${context.dir} at ${describeTimes(settings.atMinuteUtc, settings.intervalMs)} UTC, keeping ${settings.keepDays} day(s) (at least ${settings.keepMin}); a restore test every ${formatDuration(settings.restoreTestIntervalMs)}.`,
    );
    try {
      await runSchedule({ context, signal: stop.signal, onRecord: log });
    } finally {
      stopHeartbeat();
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
    }
    return ExitCode.ok;
  },
};

function describeTimes(atMinute: number, intervalMs: number): string {
  const time = `${String(Math.floor(atMinute / 60)).padStart(2, "0")}:${String(atMinute % 60).padStart(2, "0")}`;
  return intervalMs === 86_400_000 ? `${time} daily` : `${time} and every ${formatDuration(intervalMs)} from it`;
}
