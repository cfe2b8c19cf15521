import "reflect-metadata";
import { loggerAndConfig, serveNestApplication } from "@lawyers-hub/service-kit/nest";
import { gatewayConfigSchema } from "./config.ts";
import { GatewayModule } from "./gateway.module.ts";

const { logger, config } = loggerAndConfig("ai-gateway", gatewayConfigSchema);
await serveNestApplication(GatewayModule.forRoot(config, logger), logger, {
  port: config.PORT,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
});
logger.info({ port: config.PORT, release: config.RELEASE }, "ai-gateway started");
if (config.OPENAI_API_KEY) {
  logger.info({ base_url: config.OPENAI_BASE_URL, model: config.OPENAI_MODEL }, "AI features enabled");
} else {
  logger.warn("OPENAI_API_KEY is not set: AI features are disabled (POST /v1/complete answers 503)");
}
