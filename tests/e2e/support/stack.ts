import { join } from "node:path";
import { type CommandResult, docker, type RunOptions, run } from "./docker.ts";
import type { E2EEnvironment } from "./env-file.ts";
import { E2E_COMPOSE_FILE, REPO_ROOT, STAGING_COMPOSE_FILE } from "./paths.ts";

/** The real staging compose file (plus the e2e layer) as one compose project on the local engine. */
export class E2EStack {
  readonly project: string;
  readonly env: E2EEnvironment;
  /** Networks dockerd would not remove (an endpoint no name reaches), said when found. */
  private readonly stuck = new Set<string>();

  constructor(project: string, env: E2EEnvironment) {
    this.project = project;
    this.env = env;
  }

  compose(args: readonly string[], options?: RunOptions): Promise<CommandResult> {
    return docker(
      [
        "compose",
        "-f",
        STAGING_COMPOSE_FILE,
        "-f",
        E2E_COMPOSE_FILE,
        "--env-file",
        this.env.path,
        "-p",
        this.project,
        ...args,
      ],
      options,
    );
  }

  /**
   * `lh-ci stack database-role` on the host, as deploy's step runs it: DATABASE_URL's application
   * role created and given the database (the compose one-shot database-role does the same on `up`).
   */
  async databaseRole(): Promise<string> {
    const lhCi = join(REPO_ROOT, "ci", "bin", "lh-ci.mjs");
    const release = this.env.values.RELEASE ?? "";
    const result = await run(
      process.execPath,
      [
        "--",
        lhCi,
        "stack",
        "database-role",
        "--release",
        release,
        "--env-file",
        this.env.path,
        "--project-name",
        this.project,
        "--compose-file",
        E2E_COMPOSE_FILE,
        "--project-dir",
        REPO_ROOT,
      ],
      { timeoutMs: 300_000 },
    );
    return result.stdout.trim().split("\n").at(-1) ?? "";
  }

  up(): Promise<CommandResult> {
    return this.compose(["up", "--detach", "--wait"], { timeoutMs: 300_000 });
  }

  /** `lh-ci <args>` in the ops container, inside the stack's network (as the pipeline runs it). */
  lhCi(args: readonly string[], options?: RunOptions): Promise<CommandResult> {
    return this.compose(["run", "--rm", "--no-TTY", "ops", "lh-ci", ...args], { timeoutMs: 180_000, ...options });
  }

  /** A shell line in a throwaway ops container (to look into the backups volume). */
  opsShell(line: string): Promise<CommandResult> {
    return this.compose(["run", "--rm", "--no-TTY", "--entrypoint", "sh", "ops", "-c", line]);
  }

  /** The id of a service's container (running or exited), for docker inspect. */
  async containerId(service: string): Promise<string> {
    const result = await this.compose(["ps", "--all", "--quiet", service]);
    const id = result.stdout.trim().split("\n")[0] ?? "";
    if (!id) throw new Error(`${this.project}: no container for service ${service}`);
    return id;
  }

  async inspect<T>(service: string, format: string): Promise<T> {
    const result = await docker(["inspect", "--format", `{{json ${format}}}`, await this.containerId(service)]);
    return JSON.parse(result.stdout) as T;
  }

  /** Every container's log, for the secret scan. */
  logs(): Promise<CommandResult> {
    return this.compose(["logs", "--no-color", "--timestamps"], { timeoutMs: 60_000 });
  }

  /**
   * Containers, networks and volumes of the project gone; images stay. Throws when a container or
   * volume is left, or compose down failed for another reason than a network it could not remove.
   */
  async down(options: { volumes: boolean; stopTimeoutSeconds?: number }): Promise<CommandResult> {
    // The one-shots' profiles too: down leaves the volumes of services it does not see (the browser
    // check's report volume is its alone).
    const args = [
      "--profile",
      "ops",
      "--profile",
      "browser",
      "down",
      "--remove-orphans",
      ...(options.volumes ? ["--volumes"] : []),
    ];
    if (options.stopTimeoutSeconds !== undefined) args.push("--timeout", String(options.stopTimeoutSeconds));
    const names = await this.containerNames();
    // A network that still has an endpoint (one dockerd kept of a container that is gone, or a
    // container that is not the project's) stays: compose down says "Resource is still in use" and
    // exits 0, or "failed to remove network … has active endpoints" and exits 1, depending on
    // whether it created that network. Either way such endpoints are disconnected, the networks
    // removed, and the run says so.
    const result = await this.compose(args, { timeoutMs: 180_000, allowFailure: true });
    let left = await this.listed();
    const networks = left.filter((item) => item.startsWith("network ")).map((item) => item.slice("network ".length));
    const stuck: string[] = [];
    if (networks.length > 0) {
      const disconnected = await this.disconnectEndpoints(networks, names);
      for (const network of networks) if (!(await removeNetwork(network))) stuck.push(network);
      const removed = networks.filter((network) => !stuck.includes(network));
      if (removed.length > 0) {
        console.warn(
          `${this.project}: compose down left ${removed.join(", ")}; disconnected ${disconnected.join(", ") || "no endpoint"} and removed it`,
        );
      }
      left = await this.listed();
    }
    // dockerd can keep an endpoint no name reaches (moby's "has active endpoints" after the
    // container is gone). Such a network holds nothing of the scenario; the next run's down
    // tries again, and compose reuses it meanwhile. It is said, not failed on.
    if (stuck.length > 0) {
      console.warn(`${this.project}: dockerd keeps an endpoint it does not name on ${stuck.join(", ")}; left in place`);
      for (const network of stuck) this.stuck.add(`network ${network}`);
      left = left.filter((item) => !this.stuck.has(item));
    }
    left = left.filter((item) => options.volumes || !item.startsWith("volume "));
    if (left.length > 0) throw new Error(`${this.project}: compose down left ${left.join(", ")}\n${result.output}`);
    if (result.code !== 0 && networks.length === 0) {
      throw new Error(`${this.project}: compose down exited ${result.code}\n${result.output}`);
    }
    return result;
  }

  /** The names of the project's containers, running or not. */
  private async containerNames(): Promise<string[]> {
    const label = `label=com.docker.compose.project=${this.project}`;
    const listed = await docker(["ps", "--all", "--filter", label, "--format", "{{.Names}}"]);
    return listed.stdout.split("\n").filter(Boolean);
  }

  /**
   * Force-disconnects every endpoint still on the networks, by the names the network lists and
   * the names the project's containers had (a stale endpoint is reached by its container's name,
   * not its ID); returns the ones that went as `network/endpoint`.
   */
  private async disconnectEndpoints(networks: readonly string[], formerNames: readonly string[]): Promise<string[]> {
    const disconnected: string[] = [];
    for (const network of networks) {
      const format = "{{range .Containers}}{{.Name}}\n{{end}}";
      const endpoints = await docker(["network", "inspect", "--format", format, network]);
      const listed = endpoints.stdout.split("\n").filter(Boolean);
      for (const endpoint of new Set([...listed, ...formerNames])) {
        const gone = await docker(["network", "disconnect", "--force", network, endpoint], { allowFailure: true });
        if (gone.code === 0 && listed.includes(endpoint)) disconnected.push(`${network}/${endpoint}`);
      }
    }
    return disconnected;
  }

  /**
   * What docker still has of the project, by compose's label: `container|network|volume <name>`;
   * a network down found stuck (and said so) is not counted.
   */
  async leftovers(): Promise<string[]> {
    return (await this.listed()).filter((item) => !this.stuck.has(item));
  }

  private async listed(): Promise<string[]> {
    const label = `label=com.docker.compose.project=${this.project}`;
    const found: string[] = [];
    for (const [kind, ...list] of [
      ["container", "ps", "--all", "--format", "{{.Names}}"],
      ["network", "network", "ls", "--format", "{{.Name}}"],
      ["volume", "volume", "ls", "--format", "{{.Name}}"],
    ] as const) {
      const listed = await docker([...list, "--filter", label]);
      for (const name of listed.stdout.split("\n").filter(Boolean)) found.push(`${kind} ${name}`);
    }
    return found;
  }
}

/** Removes a network, trying again for a few seconds (dockerd lets an endpoint go asynchronously). */
async function removeNetwork(network: string): Promise<boolean> {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 1000));
    if ((await docker(["network", "rm", network], { allowFailure: true })).code === 0) return true;
  }
  return false;
}
