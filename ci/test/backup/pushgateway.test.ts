import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../support/redis-server.ts";
import { tempDir } from "../support/temp-dir.ts";
import { filesIn, lhCi, seededDatabase } from "./support.ts";

interface Recorded {
  method: string;
  url: string;
  contentType: string | undefined;
  authorization: string | undefined;
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
        authorization: request.headers.authorization,
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

  it("a path and a query in PUSHGATEWAY_URL stay where they are: the push path goes under the path, before the query", async () => {
    const gateway = await pushgateway(200);
    const result = await lhCi(["backup"], cwd, db.secretUrl, { PUSHGATEWAY_URL: `${gateway.url}/gw/?tenant=lh#x` });
    expect(result.code, result.stderr).toBe(0);
    expect(gateway.pushes.map((push) => push.url)).toEqual([
      "/gw/metrics/job/lawyers_hub_backup/env/staging?tenant=lh",
    ]);
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

  it("user and password inside PUSHGATEWAY_URL go as basic auth, and are never printed", async () => {
    const gateway = await pushgateway(200);
    const user = "push-user";
    const password = "push-pa55:w/rd";
    const url = gateway.url.replace("://", `://${user}:${encodeURIComponent(password)}@`);
    const result = await lhCi(["backup"], cwd, db.secretUrl, { PUSHGATEWAY_URL: url });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("Backup metrics pushed to the Pushgateway (staging).");
    expect(gateway.pushes[0]?.authorization).toBe(`Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`);
    expect(gateway.pushes[0]?.url).toBe("/metrics/job/lawyers_hub_backup/env/staging");
    for (const secret of [password, encodeURIComponent(password), user]) {
      expect(result.stdout + result.stderr).not.toContain(secret);
    }
  });

  it("a reply larger than 64 KiB, cut short or full of control characters is a warning, read only up to the cap", async () => {
    let sent = 0;
    const replies: Array<(response: ServerResponse) => void> = [
      (response) => {
        response.writeHead(200, { "content-length": String(2 * 1024 ** 3) });
        const chunk = Buffer.alloc(16 * 1024, 0x61);
        const pump = () => {
          while (!response.destroyed && response.write(chunk)) sent += chunk.length;
        };
        response.on("drain", pump);
        pump();
      },
      (response) => {
        response.writeHead(200, { "content-length": "500" });
        response.write("partial");
        setTimeout(() => response.socket?.destroy(), 20);
      },
      (response) => response.writeHead(500).end("rejected\u001b[2J\rerror: forged"),
    ];
    const server = createServer((request, response) => {
      request.resume();
      request.on("end", () => replies.shift()?.(response));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    afterAll(() => {
      server.closeAllConnections();
      server.close();
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const expected = [
      "the Pushgateway's reply is unreadable: the body is 2147483648 bytes, over the 64 KiB limit",
      "the Pushgateway's reply is unreadable: the body was cut short",
      "the Pushgateway answered 500: rejected\\u001b[2J\\rerror: forged",
    ];
    for (const reason of expected) {
      const result = await lhCi(["backup"], cwd, db.secretUrl, { PUSHGATEWAY_URL: url });
      expect(result.code).toBe(0);
      expect(result.stderr).toContain(
        `could not push the backup metrics to the Pushgateway at PUSHGATEWAY_URL (${reason}`,
      );
      for (const raw of ["\u001b", "\r"]) expect(result.stderr).not.toContain(raw);
    }
    expect(sent).toBeLessThan(64 * 1024 * 1024);
  });
});
