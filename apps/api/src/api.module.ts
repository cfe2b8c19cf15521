import type { JsonLogger } from "@lawyers-hub/service-kit";
import { ObservabilityModule, redisIndicator } from "@lawyers-hub/service-kit/nest";
import { type DynamicModule, Module } from "@nestjs/common";
import { type HealthIndicatorService, PrismaHealthIndicator } from "@nestjs/terminus";
import type { Redis } from "ioredis";
import { API_CONFIG, type ApiConfig } from "./config.ts";
import { DataStoresModule, LOGGER, PRISMA, REDIS } from "./data/data-stores.module.ts";
import type { PrismaClient } from "./generated/prisma/client.ts";
import { MattersController } from "./matters/matters.controller.ts";
import { MattersService } from "./matters/matters.service.ts";
import { migrationsIndicator } from "./migrations.ts";

export interface ApiSettings {
  config: ApiConfig;
  logger: JsonLogger;
  /** The migrations this code needs applied (the names of its prisma/migrations folders). */
  expectedMigrations: string[];
}

/** The configuration and logger, visible to every module of the api. */
@Module({})
class SettingsModule {
  static forRoot(settings: ApiSettings): DynamicModule {
    return {
      module: SettingsModule,
      global: true,
      providers: [
        { provide: API_CONFIG, useValue: settings.config },
        { provide: LOGGER, useValue: settings.logger },
      ],
      exports: [API_CONFIG, LOGGER],
    };
  }
}

/** The api: matters over PostgreSQL (Prisma), intake jobs onto the Redis stream, /health /ready /metrics. */
@Module({})
export class ApiModule {
  static forRoot(settings: ApiSettings): DynamicModule {
    const { config } = settings;
    const timeoutMs = config.READINESS_TIMEOUT_MS;
    return {
      module: ApiModule,
      imports: [
        SettingsModule.forRoot(settings),
        DataStoresModule,
        ObservabilityModule.forRoot({
          identity: { name: "api", release: config.RELEASE, readinessTimeoutMs: timeoutMs },
          logger: settings.logger,
          readiness: {
            imports: [DataStoresModule],
            inject: [PrismaHealthIndicator, PRISMA, REDIS],
            useFactory: (indicators: HealthIndicatorService, ...deps: never[]) => {
              const [prismaIndicator, prisma, redis] = deps as unknown as [PrismaHealthIndicator, PrismaClient, Redis];
              return [
                () => prismaIndicator.pingCheck("postgres", prisma, { timeout: timeoutMs }),
                redisIndicator(indicators, redis, timeoutMs),
                migrationsIndicator(indicators, prisma, settings.expectedMigrations, timeoutMs),
              ];
            },
          },
        }),
      ],
      controllers: [MattersController],
      providers: [MattersService],
    };
  }
}
