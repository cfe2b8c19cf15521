// A TCP proxy on 127.0.0.1 that counts what flows through it: placed between the engine and a
// registry, the bytes from the registry are exactly what a pull sent to the target.
import { createConnection, createServer, type Server } from "node:net";

export interface CountingProxy {
  /** `127.0.0.1:<port>`: use it as the registry's host. */
  host: string;
  /** Bytes the upstream sent through the proxy since the last reset. */
  fromUpstream(): number;
  reset(): void;
  close(): Promise<void>;
}

export async function countingProxy(upstreamPort: number): Promise<CountingProxy> {
  let counted = 0;
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: "127.0.0.1", port: upstreamPort });
    upstream.on("data", (chunk: Buffer) => {
      counted += chunk.length;
    });
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    host: `127.0.0.1:${port}`,
    fromUpstream: () => counted,
    reset: () => {
      counted = 0;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
