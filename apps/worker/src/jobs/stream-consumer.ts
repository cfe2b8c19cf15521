import { decodeJob, errorMessage, type JsonLogger } from "@lawyers-hub/service-kit";
import type { Redis } from "ioredis";

export interface StreamEntry {
  id: string;
  fields: string[];
}

export interface ConsumerOptions {
  /** Dedicated to the blocking read: a blocked connection can serve nothing else. */
  blocking: Redis;
  /** For acknowledgements, claims and group management. */
  commands: Redis;
  stream: string;
  group: string;
  consumer: string;
  blockMs: number;
  claimIdleMs: number;
  batchSize: number;
  logger: JsonLogger;
  /** Does the work; resolves once the result is durably written. Throwing leaves the entry pending for a retry. */
  handle(job: ReturnType<typeof decodeJob>, entry: StreamEntry): Promise<string>;
  /** Records an entry that is not a job at all, so that it is acknowledged instead of retried forever. */
  reject(entry: StreamEntry, reason: string): Promise<void>;
  onOutcome?(outcome: string): void;
}

type RawEntries = Array<[string, string[]] | null>;

/**
 * At-least-once consumption of a Redis stream with a consumer group: an entry is acknowledged
 * (XACK) only after its result is written, and entries left pending by a consumer that died are
 * taken over (XAUTOCLAIM) once idle for `claimIdleMs`.
 */
export class StreamConsumer {
  readonly #options: ConsumerOptions;
  #stopping = false;
  #blocked = false;
  #loop: Promise<void> | undefined;

  constructor(options: ConsumerOptions) {
    this.#options = options;
  }

  start(): void {
    this.#loop = this.#run();
  }

  /**
   * Stops taking new entries and waits for the job in hand to be written and acknowledged; the
   * rest of its batch is handed back (see #handBack), so that a deploy never loses a job.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    // A read that is only waiting holds no work: cut it instead of waiting for its timeout.
    if (this.#blocked) this.#options.blocking.disconnect();
    await this.#loop;
  }

  /** Entries not yet processed: never delivered (lag) plus delivered but not acknowledged (pending). */
  async backlog(): Promise<number> {
    const { commands, stream, group } = this.#options;
    const groups = (await commands.xinfo("GROUPS", stream)) as unknown[][];
    for (const info of groups) {
      const fields = new Map<string, unknown>();
      for (let index = 0; index + 1 < info.length; index += 2) fields.set(String(info[index]), info[index + 1]);
      if (fields.get("name") !== group) continue;
      return Number(fields.get("pending") ?? 0) + Number(fields.get("lag") ?? 0);
    }
    return Number(await commands.xlen(stream));
  }

  async #run(): Promise<void> {
    const { logger } = this.#options;
    let failures = 0;
    while (!this.#stopping) {
      try {
        // Connecting (at start, after an outage) is not a failure worth a warning: wait for it a little.
        await Promise.all([untilReady(this.#options.commands, 1000), untilReady(this.#options.blocking, 1000)]);
        await this.#ensureGroup();
        const entries = await this.#claimStale();
        const batch = entries.length > 0 ? entries : await this.#readNew();
        for (const [index, entry] of batch.entries()) {
          if (this.#stopping) {
            await this.#handBack(batch.slice(index));
            break;
          }
          await this.#process(entry);
        }
        failures = 0;
      } catch (error) {
        if (this.#stopping) break;
        // The stream or group vanished (Redis restarted without persistence, FLUSHALL): create it again.
        if (errorMessage(error).includes("NOGROUP")) this.#groupReady = false;
        failures += 1;
        if (failures === 1 || failures % 30 === 0) {
          logger.warn({ error: errorMessage(error), attempts: failures }, "consumer: cannot read jobs; retrying");
        }
        await sleep(Math.min(200 * failures, 2000));
      }
    }
    logger.info("consumer stopped");
  }

  #groupReady = false;

  async #ensureGroup(): Promise<void> {
    if (this.#groupReady) return;
    const { commands, stream, group } = this.#options;
    try {
      // From the start of the stream: jobs enqueued before the first worker ever ran are not lost.
      await commands.xgroup("CREATE", stream, group, "0", "MKSTREAM");
    } catch (error) {
      if (!errorMessage(error).includes("BUSYGROUP")) throw error;
    }
    this.#groupReady = true;
  }

  /**
   * Entries delivered to this consumer but not started when it stops: they stay pending (never
   * lost), and XCLAIM ... IDLE marks them idle for claimIdleMs at once, so that the next worker's
   * XAUTOCLAIM takes them over now instead of after claimIdleMs. JUSTID leaves their delivery
   * count alone: they were not attempted.
   */
  async #handBack(entries: StreamEntry[]): Promise<void> {
    const { commands, stream, group, consumer, claimIdleMs, logger } = this.#options;
    const ids = entries.map((entry) => entry.id);
    try {
      await commands.xclaim(stream, group, consumer, 0, ...ids, "IDLE", claimIdleMs, "JUSTID");
      logger.info({ count: ids.length }, "consumer: stopping; handed back the jobs not started");
    } catch (error) {
      logger.warn({ count: ids.length, error }, "consumer: stopping; jobs not started stay pending until claimIdleMs");
    }
  }

  async #claimStale(): Promise<StreamEntry[]> {
    const { commands, stream, group, consumer, claimIdleMs, batchSize } = this.#options;
    const reply = (await commands.xautoclaim(stream, group, consumer, claimIdleMs, "0-0", "COUNT", batchSize)) as [
      string,
      RawEntries,
      string[]?,
    ];
    const entries = toEntries(reply[1]);
    if (entries.length > 0) this.#options.logger.info({ count: entries.length }, "consumer: took over stale jobs");
    return entries;
  }

  async #readNew(): Promise<StreamEntry[]> {
    const { blocking, stream, group, consumer, blockMs, batchSize } = this.#options;
    if (blocking.status === "end") await blocking.connect();
    this.#blocked = true;
    try {
      const reply = (await blocking.xreadgroup(
        "GROUP",
        group,
        consumer,
        "COUNT",
        batchSize,
        "BLOCK",
        blockMs,
        "STREAMS",
        stream,
        ">",
      )) as Array<[string, RawEntries]> | null;
      return toEntries(reply?.[0]?.[1] ?? []);
    } finally {
      this.#blocked = false;
    }
  }

  async #process(entry: StreamEntry): Promise<void> {
    const { commands, stream, group, logger } = this.#options;
    let job: ReturnType<typeof decodeJob>;
    try {
      job = decodeJob(entry.fields);
    } catch (error) {
      logger.error(
        { entry_id: entry.id, reason: errorMessage(error) },
        "consumer: entry is not a job; recorded as failed and acknowledged",
      );
      await this.#options.reject(entry, errorMessage(error));
      await commands.xack(stream, group, entry.id);
      this.#options.onOutcome?.("rejected");
      return;
    }
    let outcome: string;
    try {
      outcome = await this.#options.handle(job, entry);
    } catch (error) {
      // Not acknowledged: it stays pending and is retried once idle for claimIdleMs.
      logger.error({ job_id: job.id, entry_id: entry.id, error }, "consumer: job failed; it will be retried");
      this.#options.onOutcome?.("retry");
      return;
    }
    await commands.xack(stream, group, entry.id);
    logger.info({ job_id: job.id, type: job.type, outcome, entry_id: entry.id }, "job done");
    this.#options.onOutcome?.(outcome);
  }
}

function toEntries(raw: RawEntries): StreamEntry[] {
  // XAUTOCLAIM returns null for entries deleted from the stream while pending.
  return raw.filter((item): item is [string, string[]] => item !== null).map(([id, fields]) => ({ id, fields }));
}

function untilReady(redis: Redis, ms: number): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off("ready", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    redis.once("ready", done);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
