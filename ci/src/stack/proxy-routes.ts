/**
 * The proxy's routes during a rollout: pure text work on the proxy's Caddyfile, unit-tested.
 * The Caddyfile on disk finds every container of a service by Docker DNS (`dynamic a web 3000`),
 * which is right at rest. During a rollout lh-ci loads a rendering of it in which each routed
 * service's `dynamic a` block is replaced by static upstreams, the addresses of the containers it
 * names (`to 172.18.0.7:3000`, routesByAddress): a new container gets traffic only once lh-ci has seen it healthy,
 * an old one leaves the configuration before it gets SIGTERM. rollout.ts applies it.
 */

/** The compose service of the reverse proxy. */
export const PROXY_SERVICE = "proxy";

/** Where the proxy's Caddyfile is inside its container (compose's `configs:` target, the images' default). */
export const PROXY_CADDYFILE = "/etc/caddy/Caddyfile";

/**
 * A `dynamic a <service> <port>` line, with its optional `{ ... }` block (no nested braces: its
 * options are one per line). Groups: indent, service, port.
 */
const DYNAMIC_A = /^([ \t]*)dynamic[ \t]+a[ \t]+(\S+)[ \t]+(\d+)(?:[ \t]*\{[^{}]*\})?[ \t]*$/gm;

/** The services the Caddyfile routes by `dynamic a`, in order of appearance, each with its port. */
export function proxiedServices(caddyfile: string): Array<{ service: string; port: number }> {
  return [...caddyfile.matchAll(DYNAMIC_A)].map((match) => ({
    service: match[2] as string,
    port: Number(match[3]),
  }));
}

/**
 * The Caddyfile with the `dynamic a` block of each service in `routes` replaced by `to` the named
 * containers on the block's port; every other byte unchanged (a service not in `routes` keeps its
 * DNS lookup). Throws if a service of `routes` has no such block or no container.
 */
export function renderProxyRoutes(caddyfile: string, routes: Readonly<Record<string, readonly string[]>>): string {
  const known = new Set(proxiedServices(caddyfile).map((entry) => entry.service));
  for (const [service, containers] of Object.entries(routes)) {
    if (!known.has(service)) {
      throw new Error(
        `the proxy's Caddyfile has no "dynamic a ${service} <port>" upstream to replace: cannot route ${service} to chosen containers`,
      );
    }
    if (containers.length === 0) {
      throw new Error(`no container to route ${service} to: the proxy would have no upstream for it`);
    }
    for (const name of containers) {
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw new Error(`not a container name: ${JSON.stringify(name)}`);
    }
  }
  return caddyfile.replace(DYNAMIC_A, (block: string, indent: string, service: string, port: string) => {
    const containers = routes[service];
    if (!containers) return block;
    return `${indent}to ${containers.map((name) => `${name}:${port}`).join(" ")}`;
  });
}

/**
 * The routes to pin the proxy to while new containers start: each routed service's running
 * containers. A service with none running (crash-looping, stopped) is left to its DNS lookup:
 * nothing of it serves to protect, and its fix must still be deployable.
 */
export function pinnedRoutes(
  running: ReadonlyArray<{ service: string; name: string }>,
  routed: readonly string[],
): Record<string, string[]> {
  const routes: Record<string, string[]> = {};
  for (const service of routed) {
    const names = running.filter((container) => container.service === service).map((container) => container.name);
    if (names.length > 0) routes[service] = names;
  }
  return routes;
}

/**
 * `routes` with each container name replaced by the container's address on a network it shares
 * with the proxy, from `docker container inspect` of the proxy and those containers
 * (docker.containerNetworks). The proxy dials addresses: a name would be looked up in Docker's DNS
 * at every new connection (Go does not cache lookups), and that DNS stalls while the engine is busy
 * starting and removing containers, which is exactly when a rollout reloads the proxy. Throws,
 * naming it, for a container that shares no network with the proxy or has no address.
 */
export function routesByAddress(
  inspected: string,
  proxyName: string,
  routes: Readonly<Record<string, readonly string[]>>,
): Record<string, string[]> {
  const networks = new Map<string, Record<string, { IPAddress?: string }>>();
  for (const line of inspected.split("\n")) {
    const tab = line.indexOf("\t");
    if (tab < 0) continue;
    const name = line.slice(0, tab).replace(/^\//, "");
    networks.set(name, JSON.parse(line.slice(tab + 1)) as Record<string, { IPAddress?: string }>);
  }
  const proxyNetworks = Object.keys(networks.get(proxyName) ?? {}).sort();
  const address = (container: string): string => {
    const own = networks.get(container) ?? {};
    const shared = proxyNetworks.find((network) => own[network]?.IPAddress);
    const ip = shared ? own[shared]?.IPAddress : undefined;
    if (!ip || !/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) {
      throw new Error(`${container} has no IPv4 address on a network it shares with the proxy ${proxyName}`);
    }
    return ip;
  };
  return Object.fromEntries(Object.entries(routes).map(([service, names]) => [service, names.map(address)]));
}

/** "web to lawyers-hub-web-2, api to lawyers-hub-api-2" (for what lh-ci says it does). */
export function describeRoutes(routes: Readonly<Record<string, readonly string[]>>): string {
  return Object.entries(routes)
    .map(([service, containers]) => `${service} to ${containers.join(" and ")}`)
    .join(", ");
}
