import { Agent, createServer, get as httpGet, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { RequestDrain } from "../src/request-drain.ts";

/** Real HTTP servers on loopback, each answering after `delayMs`. */
const servers: Server[] = [];
const agents: Agent[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.closeAllConnections();
  for (const agent of agents.splice(0)) agent.destroy();
});

async function drainedServer(delayMs: number): Promise<{ drain: RequestDrain; port: number; server: Server }> {
  const drain = new RequestDrain();
  const server = createServer((_request, response) => {
    setTimeout(() => response.end("ok"), delayMs);
  });
  servers.push(server);
  drain.track(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { drain, port: (server.address() as AddressInfo).port, server };
}

/** One kept-alive connection at most, as a proxy reuses its connections to an upstream. */
function keptAlive(): Agent {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  agents.push(agent);
  return agent;
}

/** A GET: the status, or the error's code (ECONNRESET, ECONNREFUSED...). */
async function get(port: number, agent: Agent): Promise<number | string> {
  return (await getWithConnection(port, agent)).status;
}

/** A GET: the status (or the error's code) and the answer's Connection header. */
function getWithConnection(port: number, agent: Agent): Promise<{ status: number | string; connection?: string }> {
  return new Promise((resolve) => {
    httpGet({ host: "127.0.0.1", port, path: "/", agent }, (response) => {
      response.resume();
      response.on("end", () => resolve({ status: response.statusCode ?? 0, connection: response.headers.connection }));
    }).on("error", (error: NodeJS.ErrnoException) => resolve({ status: error.code ?? error.message }));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("RequestDrain", () => {
  it("quiet() resolves once the request in flight was answered and none arrived for the quiet period", async () => {
    const { drain, port } = await drainedServer(500);
    const agent = keptAlive();
    let answered: number | string | undefined;
    const request = get(port, agent).then((result) => {
      answered = result;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(drain.inFlight).toBe(1);
    const begun = Date.now();
    // The quiet period (200 ms) passes while the request is still in flight: that is not quiet.
    expect(await drain.quiet(Date.now() + 5_000, 200)).toBe(true);
    expect(Date.now() - begun).toBeGreaterThanOrEqual(400);
    await request;
    expect(answered).toBe(200);
    expect(drain.inFlight).toBe(0);
  });

  it("quiet() waits for the quiet period after the last arrival", async () => {
    const { drain, port } = await drainedServer(0);
    expect(await get(port, keptAlive())).toBe(200);
    const begun = Date.now();
    expect(await drain.quiet(Date.now() + 5_000, 400)).toBe(true);
    expect(Date.now() - begun).toBeGreaterThanOrEqual(300);
  });

  it("quiet() gives up at its deadline, false, while requests keep arriving", async () => {
    const { drain, port } = await drainedServer(0);
    const agent = keptAlive();
    expect(await get(port, agent)).toBe(200);
    let sending = true;
    const stream = (async () => {
      while (sending) {
        await get(port, agent);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const begun = Date.now();
    expect(await drain.quiet(Date.now() + 600, 300)).toBe(false);
    expect(Date.now() - begun).toBeGreaterThanOrEqual(600);
    sending = false;
    await stream;
  });

  it("close() answers what arrives on a kept-alive connection before the quiet period ends, then closes the server", async () => {
    const { drain, port } = await drainedServer(20);
    const agent = keptAlive();
    expect(await get(port, agent)).toBe(200);
    // The connection is now idle: server.close() alone would destroy it under the next request.
    const closed = drain.close(Date.now() + 5_000, 300);
    expect(await get(port, agent)).toBe(200);
    expect(await get(port, agent)).toBe(200);
    await closed;
    expect(await get(port, keptAlive())).toBe("ECONNREFUSED");
  });

  it("endKeepAlive(): the answer in flight says Connection: close, idle kept-alive connections are closed at once", async () => {
    const { drain, port, server } = await drainedServer(300);
    const idle = keptAlive();
    expect(await get(port, idle)).toBe(200);
    const inFlight = getWithConnection(port, keptAlive());
    await sleep(100);
    const connections = () => new Promise<number>((resolve) => server.getConnections((_e, count) => resolve(count)));
    expect(await connections()).toBe(2);
    drain.endKeepAlive();
    await sleep(50);
    expect(await connections()).toBe(1);
    expect(await inFlight).toEqual({ status: 200, connection: "close" });
  });
});
