import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../support/redis-server.ts";
import { tempDir } from "../support/temp-dir.ts";
import { filesIn, lhCi, seededDatabase } from "./support.ts";

interface Recorded {
  method: string;
  url: string;
  contentType: string | undefined;
  body: string;
}

/** A real HTTP server standing in for the Pushgateway: records each push, answers `status`. */
async function pushgateway(status: number): Promise<{ url: string; pushes: Recorded[]; server: Server }> {
  const pushes: Recorded[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      pushes.push({
        method: request.method ?? "",
        url: request.url ?? "",
        contentType: request.headers["content-type"],
        body: Buffer.concat(chunks).toString("utf8"),
      });
      response.writeHead(status).end(status >= 300 ? "push rejected" : "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, pushes, server };
}

describe("backup metrics on the Pushgateway", async () => {
  const db = await seededDatabase("lh_backup_push");
  const cwd = tempDir("lh-backup-push-");

  it("a successful backup PUTs its timestamp and size, labelled with the environment", async () => {
    const gateway = await pushgateway(200);
    const started = Math.floor(Date.now() / 1000);
    const result = await lhCi(["backup"], cwd, db.secretUrl, { PUSHGATEWAY_URL: `${gateway.url}/` });
    expect(result.code).toBe(0);
    expect(gateway.pushes).toHaveLength(1);
    const push = gateway.pushes[0];
    expect(push?.method).toBe("PUT");
    expect(push?.url).toBe("/metrics/job/lawyers_hub_backup/env/staging");
    expect(push?.contentType).toContain("text/plain");
    const timestamp = Number(/^lawyers_hub_backup_last_success_timestamp_seconds (\d+)$/m.exec(push?.body ?? "")?.[1]);
    expect(timestamp).toBeGreaterThanOrEqual(started);
    const path = result.stdout.trim().split("\n").at(-1) ?? "";
    const { statSync } = await import("node:fs");
    const size = statSync(`${cwd}/${path}`).size;
    expect(push?.body).toContain(`lawyers_hub_backup_size_bytes ${size}\n`);
    expect(push?.body).toContain("# TYPE lawyers_hub_backup_size_bytes gauge");
  });

  it("a failed push (error answer or nobody listening) is a warning; the backup stands", async () => {
    const gateway = await pushgateway(500);
    for (const url of [gateway.url, `http://127.0.0.1:${await freePort()}`]) {
      const before = filesIn(`${cwd}/backups/staging`).length;
      const result = await lhCi(["backup"], cwd, db.secretUrl, { PUSHGATEWAY_URL: url });
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(
        /warning: could not push the backup metrics to the Pushgateway at PUSHGATEWAY_URL \(.+\); the backup itself succeeded/,
      );
      expect(filesIn(`${cwd}/backups/staging`).length).toBe(before + 2);
    }
    expect(gateway.pushes).toHaveLength(1);
  });
});
