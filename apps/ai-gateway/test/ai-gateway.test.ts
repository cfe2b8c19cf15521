import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { CapturedLogs, serveNestApp } from "../../test/support/nest-app.ts";
import { gatewayConfigSchema } from "../src/config.ts";
import { GatewayModule } from "../src/gateway.module.ts";

const API_KEY = "sk-test-gateway-secret-0123456789";

interface Seen {
  path: string;
  authorization: string | undefined;
  body: { model?: string; messages?: Array<{ role: string; content: string }>; max_tokens?: number };
}

/** A local OpenAI-compatible server whose behaviour each prompt selects. */
async function fakeProvider(): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Seen["body"];
    seen.push({ path: request.url ?? "", authorization: request.headers.authorization, body });
    const prompt = body.messages?.[0]?.content ?? "";
    if (prompt === "slow") {
      setTimeout(() => response.end("{}"), 3000).unref();
      return;
    }
    if (prompt === "fail") {
      response.writeHead(500, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: { message: `bad key ${request.headers.authorization}` } }));
      return;
    }
    if (prompt === "busy") {
      response.writeHead(429, { "retry-after": "7" });
      response.end("{}");
      return;
    }
    response.writeHead(200, { "content-type": "application/json" });
    response.end(
      JSON.stringify({
        id: "chatcmpl-1",
        model: body.model,
        choices: [{ index: 0, message: { role: "assistant", content: `echo: ${prompt}` }, finish_reason: "stop" }],
        usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, seen, server };
}

/** The gateway's root module compiled with @nestjs/testing, serving on a free port. */
async function startGateway(env: Record<string, string>) {
  const logs = new CapturedLogs("ai-gateway", env);
  const gateway = await serveNestApp(GatewayModule.forRoot(gatewayConfigSchema.parse(env), logs.logger));
  return { gateway, logs };
}

describe("ai-gateway with a key", async () => {
  const provider = await fakeProvider();
  const { gateway, logs } = await startGateway({
    OPENAI_API_KEY: API_KEY,
    OPENAI_BASE_URL: provider.url,
    OPENAI_MODEL: "test-model",
    AI_REQUEST_TIMEOUT_MS: "1000",
  });

  it("forwards a prompt to the OpenAI-compatible API and returns the completion", async () => {
    const response = await gateway.post("/v1/complete", { prompt: "hello", maxTokens: 20 });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      completion: "echo: hello",
      model: "test-model",
      usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
    });
    const last = provider.seen.at(-1);
    expect(last).toMatchObject({
      path: "/v1/chat/completions",
      authorization: `Bearer ${API_KEY}`,
      body: { model: "test-model", messages: [{ role: "user", content: "hello" }], max_tokens: 20 },
    });
  });

  it("answers 504 when the provider is too slow, without retrying", async () => {
    const before = provider.seen.length;
    const response = await gateway.post("/v1/complete", { prompt: "slow" });
    expect(response.status).toBe(504);
    expect(provider.seen.length).toBe(before + 1);
  });

  it("answers 502 on a provider error, once, without passing its body on", async () => {
    const before = provider.seen.length;
    const response = await gateway.post("/v1/complete", { prompt: "fail" });
    expect(response.status).toBe(502);
    expect(await response.text()).not.toContain(API_KEY);
    expect(provider.seen.length).toBe(before + 1);
  });

  it("passes rate limiting on as 429 with the provider's retry-after", async () => {
    const response = await gateway.post("/v1/complete", { prompt: "busy" });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("7");
  });

  it("rejects a request without a prompt with 400", async () => {
    const response = await gateway.post("/v1/complete", { text: "no prompt" });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toContain("prompt");
  });

  it("is ready, has metrics, and never logs the key", async () => {
    expect(await (await gateway.get("/ready")).json()).toEqual({
      status: "ready",
      service: "ai-gateway",
      checks: {},
      failing: [],
    });
    expect(await (await gateway.get("/metrics")).text()).toMatch(
      /http_requests_total\{method="POST",route="\/v1\/complete",status_code="200"/,
    );
    await gateway.close();
    expect(logs.lines.length).toBeGreaterThan(0);
    expect(logs.text).not.toContain(API_KEY);
  });
});

describe("ai-gateway without a key", async () => {
  const provider = await fakeProvider();
  const { gateway } = await startGateway({ OPENAI_BASE_URL: provider.url });

  it('answers 503 {"error":"AI features are disabled"} and stays ready', async () => {
    const response = await gateway.post("/v1/complete", { prompt: "hello" });
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ error: "AI features are disabled" });
    expect(provider.seen).toHaveLength(0);
    expect((await gateway.get("/ready")).status).toBe(200);
    expect((await gateway.get("/health")).status).toBe(200);
  });
});
