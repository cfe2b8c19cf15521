import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { basename } from "node:path";
import { performance } from "node:perf_hooks";
import type { PgTarget } from "../backup/connection.ts";
import { createBackup } from "../backup/create-backup.ts";
import { Progress } from "../backup/progress.ts";
import { applyPrune, planPrune } from "../backup/prune.ts";
import { restoreTest } from "../backup/restore-test.ts";
import { signingKeyFor } from "../backup/signing-key.ts";
import { verifyBackupFile } from "../backup/verify-backup.ts";
import { DeployLock } from "../lock/deploy-lock.ts";
import { reportBackupToPushgateway } from "../pushgateway/report-backup.ts";
import type { Clock } from "./clock.ts";
import { pushScheduleMetrics } from "./metrics.ts";
import { readScheduleState, type ScheduleState, scheduleDir, writeScheduleState } from "./schedule-state.ts";
import type { ScheduleSettings } from "./settings.ts";
import { backupTimes, catchUpDue, futureBackupsWarning } from "./slots.ts";

/** Why a run happens: the time of day came, the service started late, or an operator asked (`--once`). */
export type Trigger = "schedule" | "catch-up" | "once";

/** What the run is doing, for the SIGTERM handler. */
export type Phase = "idle" | "backup" | "prune" | "restore-test" | "push";

export interface JobContext {
  target: PgTarget;
  envName: string;
  /** The backups folder. */
  dir: string;
  stateDir: string;
  /** BACKUP_SIGNING_KEY, when set; else the state directory's key (made on first use) signs. */
  signingKey?: string;
  settings: ScheduleSettings;
  pushgatewayUrl?: string;
  clock: Clock;
  log: { info(line: string): void; warn(line: string): void };
  onPhase?: (phase: Phase) => void;
  /** Aborted on SIGTERM: a run that has not started its backup yet does not start it. */
  signal?: AbortSignal;
}

/** The one log line of a run (JSON, on stdout, through the redactor). */
export interface RunRecord {
  event: "backup-schedule";
  trigger: Trigger;
  outcome: "ok" | "failed" | "skipped";
  /** The schedule time this run belongs to (the start time for a catch-up or --once). */
  slot: string;
  startedAt: string;
  durationMs: number;
  reason?: string;
  file?: string;
  sizeBytes?: number;
  backupMs?: number;
  pruned?: string[];
  restoreTest?: { outcome: "ok" | "failed"; durationMs: number; tables?: number; error?: string };
  metricsPushed?: boolean;
  error?: string;
}

/** A backup runs for hours at most; a lock left by a killed process expires after this. */
const LOCK_TTL_MS = 6 * 3_600_000;

/** This process's name on the lock; each run adds a token of its own. */
const processOwner = () => `backup-schedule@${hostname()}:${process.pid}`;

/** The lock owners of this process's runs under way. */
const activeOwners = new Set<string>();

/** Frees the lock of the runs under way (SIGTERM). Synchronous as long as the lock's mutex is free. */
export function releaseActiveLocks(stateDir: string): void {
  const lock = new DeployLock(scheduleDir(stateDir));
  for (const owner of activeOwners) void lock.release(owner);
}

/**
 * One run of the backup service: under the schedule's lock, a backup (unless another scheduler
 * already took this one), then prune, a restore test when one is due, and the metrics push.
 * Never throws for a failed backup: the failure is counted, pushed and returned.
 */
export async function runBackupJob(context: JobContext, trigger: Trigger, slot: Date): Promise<RunRecord> {
  const started = performance.now();
  const record: RunRecord = {
    event: "backup-schedule",
    trigger,
    outcome: "skipped",
    slot: slot.toISOString(),
    startedAt: context.clock.now().toISOString(),
    durationMs: 0,
  };
  const lock = new DeployLock(scheduleDir(context.stateDir));
  const owner = `${processOwner()}:${randomBytes(4).toString("hex")}`;
  activeOwners.add(owner); // before acquiring: a concurrent run of this process must see it as live
  const held = await takeLock(lock, owner, { trigger, now: context.clock.now(), log: context.log });
  if (held) {
    activeOwners.delete(owner);
    record.reason = `another scheduler is running (${held}); it takes this backup`;
  } else {
    try {
      const reason = context.signal?.aborted ? "the service is stopping" : notDueReason(context, trigger, slot);
      if (reason) record.reason = reason;
      else await backUp(context, record);
    } finally {
      context.onPhase?.("idle");
      await lock.release(owner);
      activeOwners.delete(owner);
    }
  }
  record.durationMs = Math.round(performance.now() - started);
  return record;
}

/** Takes the lock; returns who holds it instead, or undefined once it is ours. */
async function takeLock(
  lock: DeployLock,
  owner: string,
  { trigger, now, log }: { trigger: Trigger; now: Date; log: JobContext["log"] },
): Promise<string | undefined> {
  const request = { owner, reason: `${trigger} backup`, ttlMs: LOCK_TTL_MS, now };
  const result = await lock.acquire(request);
  if (result.outcome !== "held") return undefined;
  // Our container and pid, but no run of ours: left by this container's previous life (pid 1 again).
  const [holderProcess] = result.holder.owner.split(/:(?=[0-9a-f]+$)/);
  const leftByUs = holderProcess === processOwner() && !activeOwners.has(result.holder.owner);
  // This host, and its process is gone (killed, OOM): nobody will ever release it.
  const leftByTheDead = result.holder.host === hostname() && !processAlive(result.holder.pid);
  if (leftByUs || leftByTheDead) {
    log.info(`Taking over the schedule's lock of ${result.holder.owner}: that process is gone.`);
    await lock.acquire({ ...request, force: true });
    return undefined;
  }
  return `${result.holder.owner} since ${result.holder.acquiredAt}`;
}

/** Whether a process of this host's pid namespace is running (EPERM: running as someone else). */
function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/** Decided under the lock, so that of two schedulers only the first backs up. */
function notDueReason(context: JobContext, trigger: Trigger, slot: Date): string | undefined {
  if (trigger === "once") return undefined;
  const { newest, future } = backupTimes(context.dir, context.envName, context.clock.now());
  const warning = futureBackupsWarning(future);
  if (warning) context.log.warn(warning);
  if (trigger === "schedule" && newest && newest >= slot) {
    return `a backup of this time already exists (${newest.toISOString()})`;
  }
  if (trigger === "catch-up" && !catchUpDue(newest, context.clock.now(), context.settings)) {
    return `the newest backup (${newest?.toISOString()}) is younger than the interval`;
  }
  return undefined;
}

async function backUp(context: JobContext, record: RunRecord): Promise<void> {
  const state = readScheduleState(context.stateDir);
  const { log } = context;
  try {
    context.onPhase?.("backup");
    log.info(`Backing up ${context.target.label} (${context.envName}) into ${context.dir}...`);
    const progress = new Progress((line) => log.info(line), "backup: written");
    const backupStarted = performance.now();
    const { path = "", metadata } = await createBackup({
      target: context.target,
      envName: context.envName,
      gzip: false,
      destination: { dir: context.dir },
      onBytes: (total) => progress.update(total),
      now: () => context.clock.now(),
      signingKey: signingKeyFor({ configured: context.signingKey, stateDir: context.stateDir, create: true })?.key,
    });
    record.backupMs = Math.round(performance.now() - backupStarted);
    record.file = path;
    record.sizeBytes = metadata.sizeBytes;
    state.lastBackup = {
      file: metadata.file,
      finishedAt: context.clock.now().toISOString(),
      durationSeconds: record.backupMs / 1000,
      sizeBytes: metadata.sizeBytes,
    };
    log.info(`Backup written: ${path} (${metadata.sizeBytes} bytes).`);
    context.onPhase?.("push");
    await reportBackupToPushgateway(context.pushgatewayUrl, context.envName, metadata.sizeBytes, log);

    context.onPhase?.("prune");
    const plan = planPrune(context.dir, {
      envName: context.envName,
      keepDays: context.settings.keepDays,
      keepMin: context.settings.keepMin,
      now: context.clock.now(),
    });
    record.pruned = applyPrune(context.dir, plan, (name) => log.info(`Pruned ${name}.`));

    if (restoreTestDue(state, context)) await testRestore(context, path, state, record);
    record.outcome = "ok";
  } catch (error) {
    state.failures += 1;
    record.outcome = "failed";
    record.error = (error as Error).message;
  }
  writeScheduleState(context.stateDir, state);
  context.onPhase?.("push");
  record.metricsPushed = await pushSchedule(context, state);
}

function restoreTestDue(state: ScheduleState, context: JobContext): boolean {
  const last = state.restoreTest?.lastAttemptAt;
  return !last || context.clock.now().getTime() - Date.parse(last) >= context.settings.restoreTestIntervalMs;
}

/** A failed restore test is the test's result, not a failed backup: it is recorded and pushed. */
async function testRestore(context: JobContext, path: string, state: ScheduleState, record: RunRecord) {
  context.onPhase?.("restore-test");
  context.log.info(`Restore test of ${basename(path)} into a scratch database...`);
  const started = performance.now();
  const attemptAt = context.clock.now().toISOString();
  try {
    const metadata = await verifyBackupFile(path);
    const key = signingKeyFor({ configured: context.signingKey, stateDir: context.stateDir, create: false });
    const result = await restoreTest(context.target, path, metadata, {
      key,
      allowUnsigned: false,
      envName: context.envName,
    });
    const tables = Object.keys(result.tables).length;
    state.restoreTest = { lastAttemptAt: attemptAt, ok: true, file: basename(path), lastSuccessAt: attemptAt };
    record.restoreTest = { outcome: "ok", durationMs: Math.round(performance.now() - started), tables };
    context.log.info(`Restore test: all ${tables} tables have the recorded row counts.`);
  } catch (error) {
    const message = (error as Error).message;
    state.restoreTest = {
      lastAttemptAt: attemptAt,
      ok: false,
      file: basename(path),
      error: message,
      ...(state.restoreTest?.lastSuccessAt ? { lastSuccessAt: state.restoreTest.lastSuccessAt } : {}),
    };
    record.restoreTest = { outcome: "failed", durationMs: Math.round(performance.now() - started), error: message };
    context.log.warn(`the restore test of ${basename(path)} failed: ${message}`);
  }
}

async function pushSchedule(context: JobContext, state: ScheduleState): Promise<boolean | undefined> {
  if (!context.pushgatewayUrl) return undefined;
  try {
    await pushScheduleMetrics(context.pushgatewayUrl, context.envName, state, context.settings.restoreTestIntervalMs);
    return true;
  } catch (error) {
    context.log.warn(
      `could not push the backup schedule metrics to the Pushgateway at PUSHGATEWAY_URL (${(error as Error).message}); the next run pushes them again`,
    );
    return false;
  }
}
