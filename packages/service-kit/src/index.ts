// What the services share beyond their frameworks (NestJS's and Next.js's own features are used
// for HTTP, readiness, shutdown and logging wiring; the NestJS module is in ./nest).
export {
  ConfigError,
  type ConfigProblem,
  dataStoreVariables,
  hostName,
  httpUrl,
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
export {
  DEFAULT_JOBS_GROUP,
  DEFAULT_JOBS_STREAM,
  decodeJob,
  encodeJob,
  JOB_FIELD,
  type MatterIntakeJob,
  matterIntakeJob,
} from "./jobs.ts";
export { createJsonLogger, errorMessage, type JsonLogger, type JsonLoggerOptions, redactor } from "./json-logger.ts";
export { ServiceMetrics } from "./metrics.ts";
