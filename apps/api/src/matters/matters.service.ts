import { randomUUID } from "node:crypto";
import { encodeJob, JOB_FIELD, type JsonLogger, type MatterIntakeJob } from "@lawyers-hub/service-kit";
import {
  Inject,
  Injectable,
  NotFoundException,
  ServiceUnavailableException,
  UnprocessableEntityException,
} from "@nestjs/common";
import type { Redis } from "ioredis";
import { API_CONFIG, type ApiConfig } from "../config.ts";
import { LOGGER, PRISMA, REDIS } from "../data/data-stores.module.ts";
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";
import type { ListQuery, NewMatter } from "./matter-input.ts";

/** The fields of a matter the api answers with (its relations are asked for separately). */
const MATTER_FIELDS = {
  id: true,
  reference: true,
  title: true,
  clientName: true,
  status: true,
  ownerId: true,
  createdAt: true,
  updatedAt: true,
} as const;

const JOB_FIELDS = { jobId: true, kind: true, status: true, result: true, error: true, processedAt: true } as const;

@Injectable()
export class MattersService {
  readonly #prisma: PrismaClient;
  readonly #redis: Redis;
  readonly #stream: string;
  readonly #logger: JsonLogger;

  constructor(
    @Inject(PRISMA) prisma: PrismaClient,
    @Inject(REDIS) redis: Redis,
    @Inject(API_CONFIG) config: ApiConfig,
    @Inject(LOGGER) logger: JsonLogger,
  ) {
    this.#prisma = prisma;
    this.#redis = redis;
    this.#stream = config.JOBS_STREAM;
    this.#logger = logger;
  }

  list(query: ListQuery) {
    return this.#prisma.matter.findMany({
      select: MATTER_FIELDS,
      where: query.status ? { status: query.status } : {},
      orderBy: [{ createdAt: "desc" }, { id: "asc" }],
      take: query.limit,
    });
  }

  async get(id: string) {
    const matter = await this.#prisma.matter.findUnique({ select: MATTER_FIELDS, where: { id } });
    if (!matter) throw new NotFoundException(`no matter ${id}`);
    const jobs = await this.#prisma.jobResult.findMany({
      select: JOB_FIELDS,
      where: { matterId: id },
      orderBy: { processedAt: "asc" },
    });
    return { matter, jobs };
  }

  /**
   * Inserts the matter, then enqueues its intake job. The insert is committed first so that the
   * worker always finds the matter; if Redis refuses the job, the matter is removed again and the
   * client is told to retry, so that no matter waits for a job that was never queued.
   */
  async create(input: NewMatter) {
    const id = randomUUID();
    let matter: Awaited<ReturnType<MattersService["list"]>>[number];
    try {
      matter = await this.#prisma.matter.create({
        select: MATTER_FIELDS,
        data: { id, title: input.title, clientName: input.clientName, ownerId: input.ownerId ?? null },
      });
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2003") {
        throw new UnprocessableEntityException("ownerId names no user");
      }
      throw error;
    }
    const job: MatterIntakeJob = {
      id: randomUUID(),
      type: "matter.intake",
      matterId: id,
      enqueuedAt: new Date().toISOString(),
    };
    try {
      await this.#redis.xadd(this.#stream, "*", JOB_FIELD, encodeJob(job));
    } catch (error) {
      this.#logger.error({ matter_id: id, error }, "could not enqueue the intake job; removing the matter again");
      await this.#prisma.matter.delete({ where: { id } });
      throw new ServiceUnavailableException(
        "the job queue (Redis) is unavailable, so the matter was not created; try again shortly",
      );
    }
    this.#logger.info({ matter_id: id, job_id: job.id }, "matter created");
    return matter;
  }
}
