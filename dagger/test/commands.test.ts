/**
 * Every command line the module runs inside a container exists: lh-ci accepts each invocation
 * (its --help succeeds with exactly these options, so an unknown option fails), each `npm run`
 * script is defined, and the Prisma, compose and Dockerfile names it relies on are there.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli } from "../../ci/test/support/run-cli.ts";
import {
  COMPOSE_FILE,
  dockerfileOf,
  everyLhCiInvocation,
  IMAGE_SERVICES,
  npm,
  OPS_MIGRATIONS_DIR,
  prismaMigrateDeploy,
} from "../src/commands.ts";
import { NODE_IMAGE } from "../src/images-ref.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const json = (path: string) => JSON.parse(read(path)) as Record<string, Record<string, string>>;

describe("every lh-ci invocation of the module is one the toolkit accepts", () => {
  it.each(Object.entries(everyLhCiInvocation()))("%s", async (_name, args) => {
    const result = await runCli([...args, "--help"], { cwd: ROOT });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^lh-ci /);
  });
});

describe("npm and Prisma commands", () => {
  it("every npm run script the toolchain calls is defined at the root", () => {
    const scripts = json("package.json").scripts ?? {};
    const runs = Object.values(npm).filter((args) => args[1] === "run");
    expect(runs.length).toBeGreaterThan(0);
    for (const args of runs) expect(Object.keys(scripts), args.join(" ")).toContain(args[2]);
    expect(npm.install).toEqual(["npm", "ci", "--no-audit", "--no-fund"]);
  });

  it("the typecheck script covers the module too", () => {
    expect(json("package.json").scripts?.typecheck).toContain("dagger/tsconfig.json");
  });

  it("the migrate service runs npx prisma migrate deploy with the api's own Prisma", () => {
    expect(json("apps/api/package.json").dependencies).toHaveProperty("prisma");
    expect(read(COMPOSE_FILE)).toContain(`command: [ ${prismaMigrateDeploy.map((word) => `"${word}"`).join(", ")} ]`);
    const cli = read("node_modules/prisma/package.json");
    expect(JSON.parse(cli).bin).toHaveProperty("prisma");
  });
});

describe("names the module relies on", () => {
  it("the compose file has the services the module runs (ops, migrate)", () => {
    const compose = read(COMPOSE_FILE);
    expect(compose).toMatch(/^ {2}ops:$/m);
    expect(compose).toMatch(/^ {2}migrate:$/m);
    expect(compose).toContain("LH_STATE_DIR: /state");
    expect(compose).toContain("- backups:/backups");
  });

  it("every image has its Dockerfile", () => {
    for (const service of IMAGE_SERVICES) {
      expect(existsSync(join(ROOT, dockerfileOf(service))), dockerfileOf(service)).toBe(true);
    }
  });

  it("the ops image is the toolchain's Node image and carries the migrations where lh-ci looks", () => {
    const dockerfile = read("ci/Dockerfile");
    expect(dockerfile).toContain(`FROM ${NODE_IMAGE}`);
    expect(dockerfile).toContain(OPS_MIGRATIONS_DIR.replace(/^\/app\//, ""));
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^VOLUME \["\/backups", "\/state"\]$/m);
  });
});
