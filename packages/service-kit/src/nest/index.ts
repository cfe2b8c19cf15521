// The NestJS side of the service kit: what the three NestJS services share (their own entry point,
// so that services without Nest, such as the Next.js web, do not load it).
export { closeOnSignals, loggerAndConfig, serveNestApplication } from "./bootstrap.ts";
export { ObservabilityModule, type ObservabilityOptions } from "./observability.module.ts";
export { redisIndicator } from "./redis-indicator.ts";
export { SERVICE_IDENTITY, type ServiceIdentity } from "./service-identity.ts";
