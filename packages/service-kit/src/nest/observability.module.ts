import {
  type DynamicModule,
  type InjectionToken,
  type MiddlewareConsumer,
  Module,
  type ModuleMetadata,
  type NestModule,
} from "@nestjs/common";
import { APP_FILTER } from "@nestjs/core";
import { type HealthIndicatorFunction, HealthIndicatorService, TerminusModule } from "@nestjs/terminus";
import { LoggerModule } from "nestjs-pino";
import type { JsonLogger } from "../json-logger.ts";
import { ServiceMetrics } from "../metrics.ts";
import { ErrorBodyFilter } from "./error.filter.ts";
import { HealthController } from "./health.controller.ts";
import { requestLogging } from "./logging.ts";
import { MetricsController } from "./metrics.controller.ts";
import { RequestMetricsMiddleware } from "./request-metrics.middleware.ts";
import { READINESS_CHECKS, SERVICE_IDENTITY, type ServiceIdentity } from "./service-identity.ts";
import { ShutdownState } from "./shutdown-state.ts";

export interface ObservabilityOptions {
  identity: ServiceIdentity;
  logger: JsonLogger;
  /** The dependencies /ready checks, built from terminus's HealthIndicatorService and the tokens in `inject`. */
  readiness?: {
    imports?: ModuleMetadata["imports"];
    inject?: InjectionToken[];
    useFactory: (indicators: HealthIndicatorService, ...deps: never[]) => HealthIndicatorFunction[];
  };
}

/**
 * What every Lawyers Hub NestJS service has: GET /health, GET /ready (terminus), GET /metrics
 * (prom-client, the metric names the dashboards and alert rules use), JSON logs (nestjs-pino) and
 * errors answered as {"error": ...}. ServiceMetrics is exported for a service's own metrics.
 */
@Module({})
export class ObservabilityModule implements NestModule {
  static forRoot(options: ObservabilityOptions): DynamicModule {
    const readiness = options.readiness ?? { useFactory: () => [] };
    return {
      module: ObservabilityModule,
      global: true,
      imports: [
        TerminusModule.forRoot({ errorLogStyle: "json" }),
        LoggerModule.forRoot(requestLogging(options.logger)),
        ...(readiness.imports ?? []),
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: SERVICE_IDENTITY, useValue: options.identity },
        { provide: ServiceMetrics, useValue: new ServiceMetrics(options.identity.name) },
        {
          provide: READINESS_CHECKS,
          inject: [HealthIndicatorService, ...(readiness.inject ?? [])],
          useFactory: readiness.useFactory,
        },
        ShutdownState,
        { provide: APP_FILTER, useClass: ErrorBodyFilter },
      ],
      exports: [ServiceMetrics, SERVICE_IDENTITY],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestMetricsMiddleware).forRoutes("{*path}");
  }
}
