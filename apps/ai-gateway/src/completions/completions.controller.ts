import {
  BadRequestException,
  Body,
  Controller,
  HttpCode,
  Inject,
  Post,
  Res,
  ServiceUnavailableException,
} from "@nestjs/common";
import type { Response } from "express";
import { z } from "zod";
import { CompletionsService, RateLimited } from "./completions.service.ts";

const completionRequest = z.object({
  prompt: z.string().min(1).max(32_000),
  model: z.string().trim().min(1).optional(),
  maxTokens: z.number().int().min(1).max(8192).optional(),
});

/** POST /v1/complete: 503 {"error":"AI features are disabled"} while OPENAI_API_KEY is empty. */
@Controller("v1")
export class CompletionsController {
  readonly #completions: CompletionsService;

  constructor(@Inject(CompletionsService) completions: CompletionsService) {
    this.#completions = completions;
  }

  @Post("complete")
  @HttpCode(200)
  async complete(@Body() body: unknown, @Res({ passthrough: true }) response: Response) {
    if (!this.#completions.enabled) throw new ServiceUnavailableException("AI features are disabled");
    const parsed = completionRequest.safeParse(body);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`);
      throw new BadRequestException(`invalid request: ${problems.join("; ")}`);
    }
    try {
      return await this.#completions.complete(parsed.data.prompt, parsed.data.model, parsed.data.maxTokens);
    } catch (error) {
      if (error instanceof RateLimited && error.retryAfter) response.setHeader("retry-after", error.retryAfter);
      throw error;
    }
  }
}
