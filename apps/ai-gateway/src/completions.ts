import { HttpError, type Logger, type Router, readJson, sendJson } from "@lawyers-hub/service-kit";
import { type Agent, errors, request } from "undici";
import { z } from "zod";
import type { GatewayConfig } from "./config.ts";

const completionRequest = z.object({
  prompt: z.string().min(1).max(32_000),
  model: z.string().trim().min(1).optional(),
  maxTokens: z.number().int().min(1).max(8192).optional(),
});

const chatCompletion = z.object({
  model: z.string().optional(),
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1),
  usage: z.unknown().optional(),
});

const TIMEOUTS = [errors.HeadersTimeoutError, errors.BodyTimeoutError, errors.ConnectTimeoutError];

/**
 * POST /v1/complete: forwards a prompt to the provider's /chat/completions. A completion costs
 * money and is not idempotent, so a failed call is reported to the caller, never retried here.
 */
export function completionRoutes(router: Router, config: GatewayConfig, agent: Agent, logger: Logger): void {
  const endpoint = `${config.OPENAI_BASE_URL.replace(/\/+$/, "")}/chat/completions`;

  router.post("/v1/complete", async ({ request: incoming, response }) => {
    if (!config.OPENAI_API_KEY) {
      sendJson(response, 503, { error: "AI features are disabled" });
      return;
    }
    const parsed = completionRequest.safeParse(await readJson(incoming));
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`);
      throw new HttpError(400, `invalid request: ${problems.join("; ")}`);
    }
    const input = parsed.data;
    const model = input.model ?? config.OPENAI_MODEL;
    let upstream: Awaited<ReturnType<typeof request>>;
    try {
      upstream = await request(endpoint, {
        method: "POST",
        dispatcher: agent,
        headers: { authorization: `Bearer ${config.OPENAI_API_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({
          model,
          messages: [{ role: "user", content: input.prompt }],
          ...(input.maxTokens ? { max_tokens: input.maxTokens } : {}),
        }),
      });
    } catch (error) {
      if (TIMEOUTS.some((type) => error instanceof type)) {
        logger.warn("AI provider timed out", { error });
        throw new HttpError(504, "the AI provider did not answer in time; try again later");
      }
      logger.warn("AI provider unreachable", { error });
      throw new HttpError(502, "the AI provider is unreachable; try again later");
    }
    const text = await upstream.body.text().catch((error: unknown) => {
      logger.warn("AI provider answer cut short", { error });
      throw new HttpError(504, "the AI provider did not finish its answer in time; try again later");
    });
    if (upstream.statusCode === 429) {
      const retryAfter = upstream.headers["retry-after"];
      if (typeof retryAfter === "string") response.setHeader("retry-after", retryAfter);
      throw new HttpError(429, "the AI provider is rate limiting us; retry later");
    }
    if (upstream.statusCode < 200 || upstream.statusCode >= 300) {
      // The provider's body is not passed on: it may quote part of the key.
      logger.warn("AI provider refused the request", { upstream_status: upstream.statusCode });
      throw new HttpError(502, `the AI provider answered ${upstream.statusCode}; see the ai-gateway's logs`);
    }
    const completion = chatCompletion.safeParse(safeJson(text));
    if (!completion.success) {
      logger.warn("AI provider answered something that is not a chat completion");
      throw new HttpError(502, "the AI provider's answer is not a chat completion");
    }
    sendJson(response, 200, {
      completion: completion.data.choices[0]?.message.content ?? "",
      model: completion.data.model ?? model,
      usage: completion.data.usage ?? null,
    });
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
