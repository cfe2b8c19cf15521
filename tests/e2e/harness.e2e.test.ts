// The harness itself on the real engine: what every scenario relies on to publish its ports and
// to leave nothing behind, checked on purpose instead of only when the engine misbehaves.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { docker } from "./support/docker.ts";
import { type E2EEnvironment, writeE2EEnvironment } from "./support/env-file.ts";
import { NODE_IMAGE } from "./support/paths.ts";
import { E2EStack } from "./support/stack.ts";

const PROJECT = `lhharness-e2e-${randomBytes(3).toString("hex")}`;
const NETWORK = `${PROJECT}_edge`;
const LEFT_BEHIND = `${PROJECT}-left-behind`;

describe("the e2e harness on the real engine", () => {
  let env: E2EEnvironment;
  let stack: E2EStack;

  beforeAll(async () => {
    env = await writeE2EEnvironment("0".repeat(40));
    stack = new E2EStack(PROJECT, env);
  });

  afterAll(async () => {
    await docker(["rm", "--force", LEFT_BEHIND], { allowFailure: true });
    await docker(["network", "rm", NETWORK], { allowFailure: true });
    env?.remove();
  });

  it("takes four distinct loopback ports from the engine, each of which it then publishes", async () => {
    const ports = Object.values(env.ports);
    expect(new Set(ports).size).toBe(4);
    for (const port of ports) {
      const name = `${PROJECT}-publish-${port}`;
      try {
        await docker([
          "run",
          "--detach",
          "--name",
          name,
          "--publish",
          `127.0.0.1:${port}:1`,
          NODE_IMAGE,
          "sleep",
          "30",
        ]);
      } finally {
        await docker(["rm", "--force", name], { allowFailure: true });
      }
    }
  });

  it("goes down even when an endpoint is left on the project's network, and says what it disconnected", async () => {
    // A container that is not the project's holds an endpoint on the project's network: compose
    // down leaves the network ("Resource is still in use") and exits 0, as with an endpoint dockerd kept.
    await docker([
      "network",
      "create",
      "--label",
      `com.docker.compose.project=${PROJECT}`,
      "--label",
      "com.docker.compose.network=edge",
      NETWORK,
    ]);
    await docker(["run", "--detach", "--name", LEFT_BEHIND, "--network", NETWORK, NODE_IMAGE, "sleep", "120"]);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      await stack.down({ volumes: true });
      expect(warn).toHaveBeenCalledWith(
        expect.stringContaining(`disconnected ${NETWORK}/${LEFT_BEHIND} and removed it`),
      );
    } finally {
      warn.mockRestore();
    }
    expect(await stack.leftovers()).toEqual([]);
    const network = await docker(["network", "inspect", NETWORK], { allowFailure: true });
    expect(network.code).not.toBe(0);
  });
});
