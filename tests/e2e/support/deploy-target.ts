import { existsSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { type CommandResult, docker, engineProblem, run } from "./docker.ts";
import { type E2EEnvironment, writeE2EEnvironment } from "./env-file.ts";
import { buildArgs, EXTRA_CA, IMAGE_SERVICES, type ImageService, SERVICE_DOCKERFILES } from "./images.ts";
import { E2E_COMPOSE_FILE, REPO_ROOT } from "./paths.ts";
import { ProxyClient } from "./proxy.ts";
import { E2EStack } from "./stack.ts";
import { phase } from "./timing.ts";

const LH_CI = join(REPO_ROOT, "ci", "bin", "lh-ci.mjs");

/** What `lh-ci deploy|rollback --json` prints as its last line (the fields the scenarios read). */
export interface DeployReport {
  ok: boolean;
  running?: string;
  rolledBackTo?: string;
  recorded?: { commit: string; result: string };
  steps: { step: string; status: string; ms?: number; detail?: string }[];
  messages: string[];
}

export function deployReport(stdout: string): DeployReport {
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as DeployReport;
}

/**
 * A scenario file's target: the engine answers, the project is empty, and `release`'s six images
 * are built from this checkout under the prefix (cached layers: seconds).
 */
export async function prepareDeployTarget(project: string, prefix: string, release: string): Promise<DeployTarget> {
  const problem = await engineProblem();
  if (problem) throw new Error(`the e2e needs a Docker engine: ${problem}. Run tests/e2e/provision.sh (as root).`);
  const target = new DeployTarget(project, prefix, await writeE2EEnvironment(release));
  await target.down();
  await target.build(REPO_ROOT, release, IMAGE_SERVICES);
  return target;
}

/**
 * One compose project driven by `lh-ci deploy`, `rollback` and `stack ...` on the host, as the
 * Dagger module's deployer runs them: the real compose file plus the e2e layer, images under a
 * prefix of the scenario file's own (deploys prune the prefix's images the ledger does not keep).
 */
export class DeployTarget {
  readonly stack: E2EStack;
  readonly prefix: string;
  #proxy: ProxyClient | undefined;

  constructor(project: string, prefix: string, env: E2EEnvironment) {
    this.stack = new E2EStack(project, env);
    this.prefix = prefix;
  }

  get env(): E2EEnvironment {
    return this.stack.env;
  }

  /** HTTPS to the stack's proxy, trusting its internal CA (read once the proxy has made it). */
  async proxy(): Promise<ProxyClient> {
    this.#proxy ??= await ProxyClient.of(this.stack);
    return this.#proxy;
  }

  private targetOptions(): string[] {
    return [
      "--env-file",
      this.env.path,
      "--project-name",
      this.stack.project,
      "--image-prefix",
      this.prefix,
      "--compose-file",
      E2E_COMPOSE_FILE,
      "--project-dir",
      REPO_ROOT,
    ];
  }

  /** `lh-ci ARGS` against the target; no canary secret may appear in what it prints. */
  async lhCi(args: readonly string[], timeoutMs = 600_000, env?: NodeJS.ProcessEnv): Promise<CommandResult> {
    const result = await run(process.execPath, ["--", LH_CI, ...args, ...this.targetOptions()], {
      allowFailure: true,
      timeoutMs,
      ...(env ? { env } : {}),
    });
    for (const secret of this.env.canaries) expect(result.output).not.toContain(secret);
    return result;
  }

  /** `lh-ci stack ops -- ARGS`: the options go before `--`. */
  ops(args: readonly string[]): Promise<CommandResult> {
    return run(process.execPath, ["--", LH_CI, "stack", "ops", ...this.targetOptions(), "--", ...args], {
      allowFailure: true,
      timeoutMs: 180_000,
    });
  }

  /** The ledger's current (last verified) release. */
  async current(): Promise<string> {
    return (await this.ops(["releases", "current"])).stdout.trim().split("\n").at(-1) ?? "";
  }

  /** The ledger's commits, newest first (repeats kept). */
  async ledger(): Promise<string[]> {
    const listed = await this.ops(["releases", "list", "--json"]);
    expect(listed.code, listed.stderr).toBe(0);
    return (JSON.parse(listed.stdout) as { commit: string }[]).map((entry) => entry.commit);
  }

  async lockStatus(): Promise<string> {
    return (await this.ops(["lock", "status"])).stdout;
  }

  ref(service: ImageService, release: string): string {
    return `${this.prefix}/${service}:${release}`;
  }

  /** Builds services of a release from a source tree, with the e2e's base and CA. */
  async build(source: string, release: string, services: readonly ImageService[]): Promise<void> {
    for (const service of services) {
      const args = ["build", "--file", join(source, SERVICE_DOCKERFILES[service]), ...buildArgs(service)];
      if (existsSync(EXTRA_CA)) args.push("--secret", `id=extra_ca,src=${EXTRA_CA}`);
      await phase(`build ${service} ${release.slice(0, 7)}`, () =>
        docker([...args, "--tag", this.ref(service, release), source], {
          timeoutMs: 900_000,
          env: { ...process.env, DOCKER_BUILDKIT: "1" },
        }),
      );
    }
  }

  /** Another release made of the same images (a new tag per service: instant). */
  async tag(from: string, to: string, services: readonly ImageService[]): Promise<void> {
    for (const service of services) await docker(["tag", this.ref(service, from), this.ref(service, to)]);
  }

  /** The release tags of the prefix's images on the engine (`docker images`), sorted. */
  async releaseTags(service: ImageService): Promise<string[]> {
    const listed = await docker(["images", `${this.prefix}/${service}`, "--format", "{{.Tag}}"]);
    return listed.stdout.split("\n").filter(Boolean).sort();
  }

  /** The project's containers, networks and volumes gone (whatever state the scenarios left); throws when not. */
  async down(): Promise<void> {
    await this.stack.down({ volumes: true, stopTimeoutSeconds: 5 });
  }

  /** Everything the scenarios created gone: the project, the prefix's image tags, the env file. */
  async cleanUp(): Promise<void> {
    await this.#proxy?.close();
    await this.down();
    await this.removeImages();
    this.env.remove();
  }

  /** Every image tag of the prefix removed (only ours: the prefix is the scenario file's own). */
  async removeImages(): Promise<void> {
    const listed = await docker(
      ["image", "ls", "--format", "{{.Repository}}:{{.Tag}}", "--filter", `reference=${this.prefix}/*`],
      { allowFailure: true },
    );
    const refs = listed.stdout.split("\n").filter(Boolean);
    if (refs.length > 0) await docker(["image", "rm", "--force", ...refs], { allowFailure: true });
  }

  /** The id of the project's running container of `service` created from `image`, once there is one. */
  async waitForContainer(service: string, image: string, deadlineMs = 180_000): Promise<string> {
    const deadline = Date.now() + deadlineMs;
    while (Date.now() < deadline) {
      const found = await docker([
        "container",
        "ls",
        "--filter",
        `label=com.docker.compose.project=${this.stack.project}`,
        "--filter",
        `label=com.docker.compose.service=${service}`,
        "--format",
        "{{.ID}} {{.Image}}",
      ]);
      const line = found.stdout.split("\n").find((entry) => entry.endsWith(` ${image}`));
      if (line) return line.split(" ")[0] as string;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`no ${service} container of ${image} started within ${deadlineMs / 1000} s`);
  }
}
