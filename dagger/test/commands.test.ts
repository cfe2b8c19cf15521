/**
 * Every command line the module runs inside a container exists: lh-ci accepts each invocation
 * (its --help succeeds with exactly these options, so an unknown option fails), each `npm run`
 * script is defined, and the names the deployer relies on (the ops image, its user, the
 * Dockerfiles' build argument and build secret) are there.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli } from "../../ci/test/support/run-cli.ts";
import {
  dockerfileOf,
  EXTRA_CA_SECRET_ID,
  everyLhCiInvocation,
  IMAGE_SERVICES,
  NODE_IMAGE_BUILD_ARG,
  npm,
} from "../src/commands.ts";
import { NODE_IMAGE } from "../src/images-ref.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const json = (path: string) => JSON.parse(read(path)) as Record<string, Record<string, string>>;

/**
 * The invocations to ask for --help: the call itself, and for `stack ops ... -- COMMAND` also the
 * command it runs in the ops container (which `stack ops` gives --env; --help after `--` would be
 * that command's, so the outer call gets it before the separator).
 */
function helpInvocations(): Array<[string, string[]]> {
  return Object.entries(everyLhCiInvocation()).flatMap(([name, args]): Array<[string, string[]]> => {
    const separator = args.indexOf("--");
    if (separator < 0) return [[name, [...args, "--help"]]];
    return [
      [name, [...args.slice(0, separator), "--help"]],
      [`${name} (in the ops container)`, [...args.slice(separator + 1), "--env", "staging", "--help"]],
    ];
  });
}

describe("every lh-ci invocation of the module is one the toolkit accepts", () => {
  it.each(helpInvocations())("%s", async (_name, args) => {
    const result = await runCli(args, { cwd: ROOT });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^lh-ci /);
  });

  it("the check really checks: an option lh-ci does not know is refused", async () => {
    const result = await runCli(["env", "check", "--no-such-option", "--help"], { cwd: ROOT });
    expect(result.code).toBe(2);
  });
});

describe("the module runs no shell scripts", () => {
  it("no file of dagger/src hands a script to a shell (sh -c, bash -c)", () => {
    const files = readdirSync(join(ROOT, "dagger/src")).filter((name) => name.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(5);
    for (const name of files) expect(read(`dagger/src/${name}`), name).not.toMatch(/"-c"|'-c'|\bsh -c\b/);
  });
});

describe("npm commands", () => {
  it("every npm run script the toolchain calls is defined at the root", () => {
    const scripts = json("package.json").scripts ?? {};
    const runs = Object.values(npm).filter((args) => args[1] === "run");
    expect(runs.length).toBeGreaterThan(0);
    for (const args of runs) expect(Object.keys(scripts), args.join(" ")).toContain(args[2]);
    expect(npm.install).toEqual(["npm", "ci", "--no-audit", "--no-fund"]);
  });

  it("the typecheck script covers the module too", () => {
    expect(json("package.json").scripts?.typecheck).toContain("tsc -p dagger/tsconfig.json");
  });
});

describe("what the deployer and the image builds rely on", () => {
  it("every image has its Dockerfile", () => {
    for (const service of IMAGE_SERVICES) {
      expect(existsSync(join(ROOT, dockerfileOf(service))), dockerfileOf(service)).toBe(true);
    }
  });

  it("the ops image (the deployer's toolkit) puts lh-ci on PATH and runs as node, the user its mounts belong to", () => {
    const dockerfile = read("ci/Dockerfile");
    expect(dockerfile).toContain("/usr/local/bin/lh-ci");
    expect(dockerfile).toMatch(/^USER node$/m);
  });

  /** The base images of a Dockerfile's stages, with ${NODE_IMAGE} resolved to its ARG default. */
  function bases(path: string): string[] {
    const dockerfile = read(path);
    const nodeArg = dockerfile.match(new RegExp(`^ARG ${NODE_IMAGE_BUILD_ARG}=(\\S+)$`, "m"))?.[1];
    const stages = new Set([...dockerfile.matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)].map((match) => match[1]));
    return [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)]
      .map((match) => match[1] ?? "")
      .filter((from) => !stages.has(from))
      .map((from) =>
        from === `\${${NODE_IMAGE_BUILD_ARG}}` ? (nodeArg ?? "(ARG NODE_IMAGE without a default)") : from,
      );
  }

  it("the deployer's toolkit (the ops image) builds on the module's Node image", () => {
    expect(new Set(bases("ci/Dockerfile"))).toEqual(new Set([NODE_IMAGE]));
  });

  it.each(IMAGE_SERVICES.map((service) => [service, dockerfileOf(service)]))(
    "%s: ARG NODE_IMAGE (when read) defaults to the module's Node image; the only build secret is extra_ca",
    (_service, path) => {
      const dockerfile = read(path);
      if (dockerfile.includes(`\${${NODE_IMAGE_BUILD_ARG}}`)) expect(bases(path), path).toContain(NODE_IMAGE);
      const secretIds = [...dockerfile.matchAll(/--mount=type=secret,\S*?id=([\w-]+)/g)].map((match) => match[1]);
      for (const id of secretIds) expect(id, path).toBe(EXTRA_CA_SECRET_ID);
    },
  );
});
