import type { JsonLogger } from "@lawyers-hub/service-kit";
import { ObservabilityModule } from "@lawyers-hub/service-kit/nest";
import { type DynamicModule, Module } from "@nestjs/common";
import { CompletionsController } from "./completions/completions.controller.ts";
import { CompletionsService } from "./completions/completions.service.ts";
import { GATEWAY_CONFIG, type GatewayConfig } from "./config.ts";
import { LOGGER } from "./logger.ts";

/**
 * The AI gateway: completions from an OpenAI-compatible provider. /ready checks nothing: the
 * provider is outside our stack, its outages make completions fail, not the gateway unready.
 */
@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig, logger: JsonLogger): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        ObservabilityModule.forRoot({
          identity: { name: "ai-gateway", release: config.RELEASE, readinessTimeoutMs: 2000 },
          logger,
        }),
      ],
      controllers: [CompletionsController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        CompletionsService,
      ],
    };
  }
}
