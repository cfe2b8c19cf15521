import { randomBytes, randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { docker } from "./docker.ts";
import { NODE_IMAGE } from "./paths.ts";

/** Where candidates are drawn from: below the kernel's ephemeral range (see below). */
const LOWEST_PORT = 20_000;
const ATTEMPTS = 10;

/**
 * The kernel's ephemeral port range: every outgoing connection on this machine (a client of the
 * host's PostgreSQL, of the engine, of a container's published port) binds a local port from it,
 * so a port of that range that is free now can be taken by a client's socket before compose
 * publishes it ("bind: address already in use"). The engine's own allocator draws from it too.
 */
function ephemeralRange(): { low: number; high: number } {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (low && high) return { low, high };
  } catch {
    // Not Linux: the IANA range.
  }
  return { low: 49_152, high: 65_535 };
}

function candidates(count: number): number[] {
  const { low } = ephemeralRange();
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(randomInt(LOWEST_PORT, Math.max(low, LOWEST_PORT + 2 * count)));
  return [...chosen];
}

/**
 * Loopback ports the engine will publish for a stack of the e2e: drawn at random below the
 * ephemeral range, then proven publishable by a probe container that publishes exactly them (the
 * engine's allocator can hold ports of endpoints that are gone, which a host bind cannot see).
 * The probe is removed at once, which gives the ports back; a taken port means new candidates.
 */
export async function enginePublishablePorts(count: number): Promise<number[]> {
  let lastProblem = "";
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const ports = candidates(count);
    const name = `lh-e2e-port-probe-${randomBytes(4).toString("hex")}`;
    const publish = ports.flatMap((port, index) => ["--publish", `127.0.0.1:${port}:${10_000 + index}`]);
    await docker(["create", "--name", name, "--label", "lh-e2e=port-probe", ...publish, NODE_IMAGE, "sleep", "60"]);
    try {
      const started = await docker(["start", name], { allowFailure: true });
      if (started.code === 0) return ports;
      lastProblem = started.stderr.trim();
    } finally {
      await docker(["rm", "--force", name]);
    }
  }
  throw new Error(`no ${count} publishable loopback ports found in ${ATTEMPTS} attempts: ${lastProblem}`);
}
