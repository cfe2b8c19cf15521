import { Logger, loadConfigOrExit, Router, startService } from "@lawyers-hub/service-kit";
import { Agent } from "undici";
import { webConfigSchema } from "./config.ts";
import { pageRoutes } from "./pages.ts";

const bootLogger = new Logger({ service: "web" });
const config = loadConfigOrExit(webConfigSchema, bootLogger);
const logger = bootLogger.withLevel(config.LOG_LEVEL);

const agent = new Agent({
  connect: { timeout: config.API_TIMEOUT_MS },
  headersTimeout: config.API_TIMEOUT_MS,
  bodyTimeout: config.API_TIMEOUT_MS,
});

const router = new Router();
pageRoutes(router, config.API_URL, agent);

await startService({
  name: "web",
  port: config.PORT,
  logger,
  router,
  // The web serves its pages (showing the api as down) whatever the api's state: no dependency to wait for.
  readiness: [],
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  close: [{ name: "api client", run: () => agent.close() }],
});
logger.info("web started", { api_url: config.API_URL });
