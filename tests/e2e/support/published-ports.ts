import { randomBytes } from "node:crypto";
import { docker } from "./docker.ts";
import { NODE_IMAGE } from "./paths.ts";

/**
 * Loopback ports the engine will publish, chosen by the engine itself: a probe container publishes
 * `count` ports to port 0 and the engine's allocator picks them. A host bind cannot see that
 * allocator, which can still hold ports of endpoints that are gone ("port is already allocated").
 * The probe is removed at once, which gives the ports back to both the allocator and the host.
 */
export async function enginePublishablePorts(count: number): Promise<number[]> {
  const name = `lh-e2e-port-probe-${randomBytes(4).toString("hex")}`;
  const publish = Array.from({ length: count }, (_, index) => ["--publish", `127.0.0.1::${10_000 + index}`]).flat();
  await docker(["create", "--name", name, "--label", "lh-e2e=port-probe", ...publish, NODE_IMAGE, "sleep", "60"]);
  try {
    await docker(["start", name]);
    const listed = await docker(["port", name]);
    const ports = [...listed.stdout.matchAll(/^\d+\/tcp -> 127\.0\.0\.1:(\d+)$/gm)].map((match) => Number(match[1]));
    if (ports.length !== count) {
      throw new Error(`the engine published ${ports.length} of ${count} probe ports: ${listed.stdout.trim()}`);
    }
    return ports;
  } finally {
    await docker(["rm", "--force", name]);
  }
}
