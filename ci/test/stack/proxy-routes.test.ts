import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatCommandLine } from "../../src/stack/command-line.ts";
import * as docker from "../../src/stack/docker.ts";
import {
  describeRoutes,
  pinnedRoutes,
  proxiedServices,
  renderProxyRoutes,
  routesByAddress,
} from "../../src/stack/proxy-routes.ts";

/** The real Caddyfile the proxy runs. */
const CADDYFILE = readFileSync(join(import.meta.dirname, "../../../compose/proxy/Caddyfile"), "utf8");

/** The lines of `after` that are not in `before`, and those of `before` gone from `after`. */
function lineDiff(before: string, after: string): { added: string[]; removed: string[] } {
  const a = before.split("\n");
  const b = after.split("\n");
  return { added: b.filter((line) => !a.includes(line)), removed: a.filter((line) => !b.includes(line)) };
}

describe("the proxy's routes during a rollout", () => {
  it("pins each routed service to its running containers; one with none running keeps its DNS lookup", () => {
    const running = [
      { service: "web", name: "lh-web-1" },
      { service: "worker", name: "lh-worker-1" },
      { service: "web", name: "lh-web-3" },
    ];
    expect(pinnedRoutes(running, ["web", "api"])).toEqual({ web: ["lh-web-1", "lh-web-3"] });
    expect(pinnedRoutes([], ["web", "api"])).toEqual({});
    // What it pins renders: the crash-looping api keeps `dynamic a api`, so its fix can roll out.
    const rendered = renderProxyRoutes(CADDYFILE, pinnedRoutes(running, ["web", "api"]));
    expect(rendered).toContain("to lh-web-1:3000 lh-web-3:3000");
    expect(rendered).toContain("dynamic a api 4000");
  });

  it("routes by each container's address on a network it shares with the proxy, never by name", () => {
    const inspected = [
      '/lh-proxy-1\t{"lh_default":{"IPAddress":"172.20.0.2"},"lh_monitoring":{"IPAddress":"172.21.0.2"}}',
      '/lh-web-2\t{"lh_default":{"IPAddress":"172.20.0.7"}}',
      '/lh-api-3\t{"lh_backend":{"IPAddress":"10.0.0.9"},"lh_monitoring":{"IPAddress":"172.21.0.5"}}',
      '/lh-api-4\t{"lh_backend":{"IPAddress":"10.0.0.10"}}',
    ].join("\n");
    expect(routesByAddress(inspected, "lh-proxy-1", { web: ["lh-web-2"], api: ["lh-api-3"] })).toEqual({
      web: ["172.20.0.7"],
      api: ["172.21.0.5"],
    });
    expect(() => routesByAddress(inspected, "lh-proxy-1", { api: ["lh-api-4"] })).toThrow(
      "lh-api-4 has no IPv4 address on a network it shares with the proxy lh-proxy-1",
    );
    expect(() => routesByAddress(inspected, "lh-proxy-1", { web: ["lh-gone-1"] })).toThrow(/lh-gone-1 has no IPv4/);
    const rendered = renderProxyRoutes(CADDYFILE, routesByAddress(inspected, "lh-proxy-1", { web: ["lh-web-2"] }));
    expect(rendered).toContain("to 172.20.0.7:3000");
  });

  it("finds the services the Caddyfile routes by Docker DNS, with their ports", () => {
    expect(proxiedServices(CADDYFILE)).toEqual([
      { service: "api", port: 4000 },
      { service: "web", port: 3000 },
    ]);
  });

  it("replaces one service's dynamic block by its one container; everything else byte-identical", () => {
    const rendered = renderProxyRoutes(CADDYFILE, { web: ["lawyers-hub-staging-web-2"] });
    expect(rendered).toContain("\t\t\tto lawyers-hub-staging-web-2:3000\n\t\t\tlb_policy round_robin");
    expect(rendered).toContain("dynamic a api 4000 {\n\t\t\t\trefresh 1s\n\t\t\t}");
    expect(rendered).not.toContain("dynamic a web");
    expect(lineDiff(CADDYFILE, rendered)).toEqual({
      added: ["\t\t\tto lawyers-hub-staging-web-2:3000"],
      removed: ["\t\t\tdynamic a web 3000 {"],
    });
    // Only the three lines of the block went.
    expect(rendered.split("\n").length).toBe(CADDYFILE.split("\n").length - 2);
    const [head, tail] = CADDYFILE.split("\t\t\tdynamic a web 3000 {\n\t\t\t\trefresh 1s\n\t\t\t}");
    expect(rendered).toBe(`${head}\t\t\tto lawyers-hub-staging-web-2:3000${tail}`);
  });

  it("names two containers of a service, and routes two services at once", () => {
    const rendered = renderProxyRoutes(CADDYFILE, {
      api: ["lawyers-hub-staging-api-1", "lawyers-hub-staging-api-2"],
      web: ["lawyers-hub-staging-web-3"],
    });
    expect(rendered).toContain("\t\t\tto lawyers-hub-staging-api-1:4000 lawyers-hub-staging-api-2:4000\n");
    expect(rendered).toContain("\t\t\tto lawyers-hub-staging-web-3:3000\n");
    expect(rendered).not.toMatch(/^\s*dynamic a/m);
    expect(proxiedServices(rendered)).toEqual([]);
    // The rest of the configuration is there: TLS site, handlers, retries, transport.
    for (const kept of [
      "{$STAGING_DOMAIN} {",
      "handle_path /api/*",
      "lb_try_duration 10s",
      "dial_timeout 1s",
      "grace_period 10s",
    ]) {
      expect(rendered).toContain(kept);
    }
  });

  it("is the Caddyfile itself with no routes, and rendering is idempotent per service", () => {
    expect(renderProxyRoutes(CADDYFILE, {})).toBe(CADDYFILE);
    const once = renderProxyRoutes(CADDYFILE, { web: ["w-2"] });
    expect(renderProxyRoutes(once, { api: ["a-2"] })).toBe(
      renderProxyRoutes(CADDYFILE, { web: ["w-2"], api: ["a-2"] }),
    );
    expect(renderProxyRoutes(once, {})).toBe(once);
  });

  it("refuses a service with no dynamic block, an empty list, or something that is not a container name", () => {
    expect(() => renderProxyRoutes(CADDYFILE, { worker: ["lawyers-hub-staging-worker-1"] })).toThrow(
      /no "dynamic a worker <port>" upstream/,
    );
    const once = renderProxyRoutes(CADDYFILE, { web: ["w-2"] });
    expect(() => renderProxyRoutes(once, { web: ["w-3"] })).toThrow(/no "dynamic a web <port>"/);
    expect(() => renderProxyRoutes(CADDYFILE, { web: [] })).toThrow(/no container to route web to/);
    expect(() => renderProxyRoutes(CADDYFILE, { web: ["w-2:80 evil"] })).toThrow(/not a container name/);
  });

  it("says which containers each service goes to", () => {
    expect(describeRoutes({ web: ["w-1"], api: ["a-1", "a-2"] })).toBe("web to w-1, api to a-1 and a-2");
  });

  it("reads and reloads the proxy's configuration inside its container (no published admin port)", () => {
    expect(formatCommandLine(docker.readProxyCaddyfile("abc", "/etc/caddy/Caddyfile"))).toBe(
      "docker container exec abc cat /etc/caddy/Caddyfile",
    );
    expect(formatCommandLine(docker.reloadProxy("abc"))).toBe(
      "docker container exec --interactive abc caddy reload --config - --adapter caddyfile --force",
    );
  });
});
