// Counter and Gauge for a service's own metrics, so that apps need no direct prom-client dependency.
export { Counter, Gauge } from "prom-client";
export {
  ConfigError,
  type ConfigProblem,
  dataStoreVariables,
  hostName,
  httpUrl,
  loadConfigOrExit,
  logLevel,
  milliseconds,
  optional,
  optionalHttpUrl,
  parseConfig,
  port,
  postgresUrl,
  required,
  secretValues,
} from "./config.ts";
export { HttpError, readJson, sendJson, sendText } from "./http.ts";
export {
  DEFAULT_JOBS_GROUP,
  DEFAULT_JOBS_STREAM,
  decodeJob,
  encodeJob,
  JOB_FIELD,
  type MatterIntakeJob,
  matterIntakeJob,
} from "./jobs.ts";
export { createJsonLogger, type JsonLogger, type JsonLoggerOptions, redactor } from "./json-logger.ts";
export { describeError, errorMessage, type LogFields, Logger, type LogLevel } from "./logger.ts";
export { ServiceMetrics } from "./metrics.ts";
export { checkReadiness, type ReadinessCheck, type ReadinessReport } from "./readiness.ts";
export { type Handler, type RequestContext, Router, UNMATCHED_ROUTE } from "./router.ts";
export { type RunningService, type ServiceOptions, startService } from "./service.ts";
export { type ShutdownPlan, type ShutdownStep, shutdown } from "./shutdown.ts";
