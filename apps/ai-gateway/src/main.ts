import "reflect-metadata";
import { closeOnSignals, loggerAndConfig } from "@lawyers-hub/service-kit/nest";
import { NestFactory } from "@nestjs/core";
import { Logger } from "nestjs-pino";
import { gatewayConfigSchema } from "./config.ts";
import { GatewayModule } from "./gateway.module.ts";

const { logger, config } = loggerAndConfig("ai-gateway", gatewayConfigSchema);
const app = await NestFactory.create(GatewayModule.forRoot(config, logger), { bufferLogs: true });
app.useLogger(app.get(Logger));
closeOnSignals(app, logger, config.SHUTDOWN_TIMEOUT_MS);
await app.listen(config.PORT, "0.0.0.0");
logger.info({ port: config.PORT, release: config.RELEASE }, "ai-gateway started");
if (config.OPENAI_API_KEY) {
  logger.info({ base_url: config.OPENAI_BASE_URL, model: config.OPENAI_MODEL }, "AI features enabled");
} else {
  logger.warn("OPENAI_API_KEY is not set: AI features are disabled (POST /v1/complete answers 503)");
}
