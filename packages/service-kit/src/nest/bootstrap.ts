import type { DynamicModule, INestApplication, INestApplicationContext } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import { Logger } from "nestjs-pino";
import type { z } from "zod";
import { ConfigError, parseConfig, secretValues } from "../config.ts";
import { createJsonLogger, type JsonLogger } from "../json-logger.ts";
import { RequestDrain } from "../request-drain.ts";

/**
 * The start of every service's main.ts: a JSON logger that already knows the environment's
 * secrets, then the configuration, validated. A bad or missing variable stops the process with
 * one fatal line per problem naming the variable (never its value) and exit code 1.
 */
export function loggerAndConfig<Schema extends z.ZodObject>(
  service: string,
  schema: Schema,
  env: Record<string, string | undefined> = process.env,
): { logger: JsonLogger; config: z.infer<Schema> } {
  const logger = createJsonLogger({ service, secrets: secretValues(env) });
  try {
    const config = parseConfig(schema, env);
    if (typeof config.LOG_LEVEL === "string") logger.level = config.LOG_LEVEL;
    return { logger, config };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) {
      logger.fatal({ variable: problem.variable }, `invalid configuration: ${problem.variable} ${problem.message}`);
    }
    process.exit(1);
  }
}

/**
 * SIGTERM (docker stop, compose down) and SIGINT: first the HTTP server drains (`drain`,
 * request-drain.ts: it keeps serving until no request arrived for a second, at most half of
 * `timeoutMs`: a proxy's requests already sent are answered, not reset), then Nest's shutdown
 * hooks run through app.close() (readiness turns 503, the HTTP server closes, consumers finish
 * their job in hand, pools close), all bounded by `timeoutMs`; then the process exits 0, or 1
 * when the deadline passed. Nest's own enableShutdownHooks would close at once and re-raise the
 * signal, ending with 143.
 */
export function closeOnSignals(
  app: INestApplication | INestApplicationContext,
  logger: JsonLogger,
  timeoutMs: number,
  drain?: RequestDrain,
): void {
  let started = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (started) return;
    started = true;
    const begun = Date.now();
    logger.info(`${signal} received: shutting down (at most ${timeoutMs} ms)`);
    const deadline = setTimeout(() => {
      logger.error(`shutdown did not finish within ${timeoutMs} ms; exiting anyway`);
      process.exit(1);
    }, timeoutMs);
    deadline.unref();
    void shutDown(app, logger, begun + timeoutMs / 2, drain).then(
      () => {
        logger.info({ duration_ms: Date.now() - begun, exit_code: 0 }, "stopped");
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

/** The drain (until `drainDeadline` at most), then Nest's shutdown hooks and the server's close (request-drain.ts). */
async function shutDown(
  app: INestApplication | INestApplicationContext,
  logger: JsonLogger,
  drainDeadline: number,
  drain?: RequestDrain,
): Promise<void> {
  if (drain && !(await drain.quiet(drainDeadline))) {
    logger.warn(`requests still arriving or in flight (${drain.inFlight} in flight); closing anyway`);
  }
  drain?.endKeepAlive();
  await app.close();
}

/**
 * Creates the Nest application of `root` with the service's JSON logger for Nest's own messages,
 * drains and closes it on SIGTERM/SIGINT (see closeOnSignals) and listens on every interface of `port`.
 */
export async function serveNestApplication(
  root: DynamicModule,
  logger: JsonLogger,
  options: { port: number; shutdownTimeoutMs: number },
): Promise<INestApplication> {
  const app = await NestFactory.create(root, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  const drain = new RequestDrain();
  drain.track(app.getHttpServer());
  closeOnSignals(app, logger, options.shutdownTimeoutMs, drain);
  await app.listen(options.port, "0.0.0.0");
  return app;
}
