import type { JsonLogger } from "@lawyers-hub/service-kit";
import {
  BadGatewayException,
  GatewayTimeoutException,
  HttpException,
  Inject,
  Injectable,
  type OnApplicationShutdown,
} from "@nestjs/common";
import { Agent, errors, request } from "undici";
import { z } from "zod";
import { GATEWAY_CONFIG, type GatewayConfig } from "../config.ts";
import { LOGGER } from "../logger.ts";

const chatCompletion = z.object({
  model: z.string().optional(),
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1),
  usage: z.unknown().optional(),
});

const TIMEOUTS = [errors.HeadersTimeoutError, errors.BodyTimeoutError, errors.ConnectTimeoutError];

export interface Completion {
  completion: string;
  model: string;
  usage: unknown;
}

/**
 * Calls the provider's /chat/completions (any OpenAI-compatible API at OPENAI_BASE_URL). A
 * completion costs money and is not idempotent, so a failed call is reported to the caller, never
 * retried here; the provider's error bodies are not passed on (they may quote part of the key).
 */
@Injectable()
export class CompletionsService implements OnApplicationShutdown {
  readonly #config: GatewayConfig;
  readonly #logger: JsonLogger;
  readonly #endpoint: string;
  readonly #agent: Agent;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig, @Inject(LOGGER) logger: JsonLogger) {
    this.#config = config;
    this.#logger = logger;
    this.#endpoint = `${config.OPENAI_BASE_URL.replace(/\/+$/, "")}/chat/completions`;
    this.#agent = new Agent({
      connect: { timeout: config.AI_CONNECT_TIMEOUT_MS },
      headersTimeout: config.AI_REQUEST_TIMEOUT_MS,
      bodyTimeout: config.AI_REQUEST_TIMEOUT_MS,
    });
  }

  get enabled(): boolean {
    return Boolean(this.#config.OPENAI_API_KEY);
  }

  async complete(prompt: string, model: string | undefined, maxTokens: number | undefined): Promise<Completion> {
    const chosenModel = model ?? this.#config.OPENAI_MODEL;
    let upstream: Awaited<ReturnType<typeof request>>;
    try {
      upstream = await request(this.#endpoint, {
        method: "POST",
        dispatcher: this.#agent,
        headers: { authorization: `Bearer ${this.#config.OPENAI_API_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({
          model: chosenModel,
          messages: [{ role: "user", content: prompt }],
          ...(maxTokens ? { max_tokens: maxTokens } : {}),
        }),
      });
    } catch (error) {
      if (TIMEOUTS.some((type) => error instanceof type)) {
        this.#logger.warn({ error }, "AI provider timed out");
        throw new GatewayTimeoutException("the AI provider did not answer in time; try again later");
      }
      this.#logger.warn({ error }, "AI provider unreachable");
      throw new BadGatewayException("the AI provider is unreachable; try again later");
    }
    const text = await upstream.body.text().catch((error: unknown) => {
      this.#logger.warn({ error }, "AI provider answer cut short");
      throw new GatewayTimeoutException("the AI provider did not finish its answer in time; try again later");
    });
    if (upstream.statusCode === 429) {
      const retryAfter = upstream.headers["retry-after"];
      throw new RateLimited(typeof retryAfter === "string" ? retryAfter : undefined);
    }
    if (upstream.statusCode < 200 || upstream.statusCode >= 300) {
      this.#logger.warn({ upstream_status: upstream.statusCode }, "AI provider refused the request");
      throw new BadGatewayException(`the AI provider answered ${upstream.statusCode}; see the ai-gateway's logs`);
    }
    const completion = chatCompletion.safeParse(safeJson(text));
    if (!completion.success) {
      this.#logger.warn("AI provider answered something that is not a chat completion");
      throw new BadGatewayException("the AI provider's answer is not a chat completion");
    }
    return {
      completion: completion.data.choices[0]?.message.content ?? "",
      model: completion.data.model ?? chosenModel,
      usage: completion.data.usage ?? null,
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.#agent.close();
  }
}

/** 429 from the provider, passed on with its retry-after. */
export class RateLimited extends HttpException {
  readonly retryAfter: string | undefined;

  constructor(retryAfter: string | undefined) {
    super("the AI provider is rate limiting us; retry later", 429);
    this.retryAfter = retryAfter;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
