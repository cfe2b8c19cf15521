import { Logger, loadConfigOrExit, Router, startService } from "@lawyers-hub/service-kit";
import { Agent } from "undici";
import { completionRoutes } from "./completions.ts";
import { gatewayConfigSchema } from "./config.ts";

const bootLogger = new Logger({ service: "ai-gateway" });
const config = loadConfigOrExit(gatewayConfigSchema, bootLogger);
const logger = bootLogger.withLevel(config.LOG_LEVEL);

const agent = new Agent({
  connect: { timeout: config.AI_CONNECT_TIMEOUT_MS },
  headersTimeout: config.AI_REQUEST_TIMEOUT_MS,
  bodyTimeout: config.AI_REQUEST_TIMEOUT_MS,
});

const router = new Router();
completionRoutes(router, config, agent, logger);

await startService({
  name: "ai-gateway",
  port: config.PORT,
  logger,
  router,
  // The provider is outside our stack: its outages make completions fail, not the gateway unready.
  readiness: [],
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  close: [{ name: "upstream", run: () => agent.close() }],
});
if (config.OPENAI_API_KEY) {
  logger.info("AI features enabled", { base_url: config.OPENAI_BASE_URL, model: config.OPENAI_MODEL });
} else {
  logger.warn("OPENAI_API_KEY is not set: AI features are disabled (POST /v1/complete answers 503)");
}
