/**
 * Contract test: what the Dagger engine will register for this module, as Dagger's own
 * introspector (dry run, no engine) reads it from dagger/src.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NODE_IMAGE } from "../src/images-ref.ts";
import { missingConfiguration } from "../src/messages.ts";
import { SOURCE_IGNORE } from "../src/recipes.ts";
import { introspect, type PreparedModule, prepareModule, scanModule } from "./support/introspect.ts";

interface TypeDef {
  kind: string;
  name?: string;
  typeDef?: TypeDef;
}
interface Argument {
  name: string;
  description: string;
  type: TypeDef;
  isOptional: boolean;
  defaultValue?: unknown;
  defaultPath?: string;
  ignore?: string[];
}
interface Method {
  name: string;
  description: string;
  arguments: Record<string, Argument>;
  returnType: TypeDef;
}
interface Introspection {
  objects: Record<
    string,
    {
      description: string;
      constructor: { arguments: Record<string, Argument> };
      methods: Record<string, Method>;
      properties: Record<string, { isExposed: boolean; type: TypeDef }>;
    }
  >;
  enums: Record<string, { values: Record<string, { name: string; value: string }> }>;
}

const SIDE_EFFECTS = [
  "deploy",
  "migrate",
  "verify",
  "verifyFiles",
  "backup",
  "backupFiles",
  "restore",
  "rollback",
  "releases",
  "lock",
  "logs",
  "status",
  "toolbox",
];
const CHECKS = ["lint", "typecheck", "test"];
/** Functions that install from a registry (checks) or build an image (the deployer's toolkit included): each takes --extra-ca. */
const BUILDS = [...CHECKS, "testEnv", "build", "images", ...SIDE_EFFECTS];
/** Argument names that carry a secret (or, like CA bundles and host keys, come as one); each must be a Secret. */
const SECRET_NAME = /(key|password|secret|token|url|envFile|extraCa|knownHosts)$/i;

let prepared: PreparedModule;
let module: Introspection;
let hub: Introspection["objects"][string];

beforeAll(() => {
  prepared = prepareModule();
  module = introspect(prepared) as Introspection;
  hub = module.objects.LawyersHub as Introspection["objects"][string];
});

afterAll(() => {
  if (prepared) rmSync(prepared.root, { recursive: true, force: true });
});

const str = { kind: "STRING_KIND" };
const obj = (name: string) => ({ kind: "OBJECT_KIND", name });
const env = { kind: "ENUM_KIND", name: "Environment" };

describe("the module as the Dagger engine will register it", () => {
  it("has the main object LawyersHub and nothing else", () => {
    expect(Object.keys(module.objects)).toEqual(["LawyersHub"]);
  });

  it("has exactly the pipeline's functions", () => {
    expect(Object.keys(hub.methods).sort()).toEqual([...CHECKS, "testEnv", "build", "images", ...SIDE_EFFECTS].sort());
  });

  it("describes every function with the dagger call line to type", () => {
    for (const method of Object.values(hub.methods)) {
      expect(method.description, method.name).toMatch(/dagger call /);
    }
    expect(hub.description).not.toBe("");
  });

  it("has the Environment enum (not Env, a core type) with staging", () => {
    expect(Object.keys(module.enums)).toEqual(["Environment"]);
    expect(Object.values(module.enums.Environment?.values ?? {})).toEqual([
      expect.objectContaining({ name: "staging", value: "staging" }),
    ]);
  });

  it("takes a required Environment on every environment function", () => {
    for (const name of SIDE_EFFECTS) {
      expect(hub.methods[name]?.arguments.env, name).toMatchObject({ type: env, isOptional: false });
    }
  });

  it("returns what the README promises", () => {
    const returns = Object.fromEntries(Object.entries(hub.methods).map(([name, m]) => [name, m.returnType]));
    expect(returns).toEqual({
      lint: { kind: "VOID_KIND" },
      typecheck: { kind: "VOID_KIND" },
      test: { kind: "VOID_KIND" },
      testEnv: obj("Container"),
      build: obj("Container"),
      images: { kind: "LIST_KIND", typeDef: obj("Container") },
      deploy: str,
      migrate: str,
      verify: str,
      verifyFiles: obj("Directory"),
      backup: obj("File"),
      backupFiles: obj("Directory"),
      restore: str,
      rollback: str,
      releases: str,
      lock: str,
      logs: str,
      status: str,
      toolbox: obj("Container"),
    });
  });

  it("has the deploy options with their defaults", () => {
    const args = hub.methods.deploy?.arguments ?? {};
    expect(Object.keys(args)).toEqual([
      "env",
      "skipChecks",
      "allowDestructiveMigrations",
      "noRollback",
      "noBrowser",
      "extraCa",
      "registry",
      "registryUsername",
      "registryPassword",
    ]);
    expect(args.registryPassword).toMatchObject({ type: obj("Secret"), isOptional: true });
    for (const name of ["skipChecks", "allowDestructiveMigrations", "noRollback", "noBrowser"]) {
      expect(args[name], name).toMatchObject({ type: { kind: "BOOLEAN_KIND" }, defaultValue: false });
      expect(args[name]?.description, name).not.toBe("");
    }
  });

  it("takes the other functions' arguments with the right types", () => {
    expect(hub.methods.build?.arguments.service).toMatchObject({ type: str, isOptional: false });
    expect(hub.methods.restore?.arguments.file).toMatchObject({ type: obj("File"), isOptional: false });
    expect(hub.methods.restore?.arguments.sidecar).toMatchObject({ type: obj("File"), isOptional: true });
    expect(hub.methods.rollback?.arguments.to).toMatchObject({ type: str, isOptional: true });
    for (const name of ["verify", "rollback"]) {
      expect(hub.methods[name]?.arguments.noBrowser, name).toMatchObject({
        type: { kind: "BOOLEAN_KIND" },
        defaultValue: false,
      });
    }
    expect(hub.methods.logs?.arguments.service).toMatchObject({ type: str, isOptional: true });
  });

  it("takes extra CA certificates as an optional Secret on every function that installs or builds", () => {
    expect(Object.keys(hub.methods).sort()).toEqual([...BUILDS].sort());
    for (const name of BUILDS) {
      expect(hub.methods[name]?.arguments.extraCa, name).toMatchObject({ type: obj("Secret"), isOptional: true });
      expect(hub.methods[name]?.arguments.extraCa?.description ?? "", name).not.toBe("");
    }
    // dagger check runs the checks without arguments: none may be required.
    for (const name of CHECKS) {
      for (const argument of Object.values(hub.methods[name]?.arguments ?? {})) {
        expect(argument.isOptional, `${name} --${argument.name}`).toBe(true);
      }
    }
  });

  it("takes the source from the repository root, without dependencies, backups, env files or build output", () => {
    const source = hub.constructor.arguments.source;
    expect(source).toMatchObject({ type: obj("Directory"), defaultPath: "/" });
    expect(source?.ignore).toEqual(
      expect.arrayContaining(["**/node_modules", "**/.env", "**/.env.*", "backups", "**/dist", "dagger/sdk"]),
    );
    // The replay of the recipes in tests/e2e leaves out the same files.
    expect(source?.ignore).toEqual([...SOURCE_IGNORE]);
    expect(hub.constructor.arguments.git).toMatchObject({ type: obj("GitRef"), defaultPath: "/" });
  });

  it("chooses the target with --docker-socket, --docker-host and --ssh-key (neither: an ephemeral engine)", () => {
    const args = hub.constructor.arguments;
    expect(args.dockerSocket).toMatchObject({ type: obj("Socket"), isOptional: true });
    expect(args.dockerHost).toMatchObject({ type: str, isOptional: true });
    expect(args.sshKey).toMatchObject({ type: obj("Secret"), isOptional: true });
  });

  it("takes every secret-carrying argument as a Secret, never as a string", () => {
    const all = [
      ...Object.values(hub.constructor.arguments),
      ...Object.values(hub.methods).flatMap((m) => Object.values(m.arguments)),
    ];
    const secretish = all.filter((a) => SECRET_NAME.test(a.name));
    expect([...new Set(secretish.map((a) => a.name))].sort()).toEqual(
      [
        "clerkSecretKey",
        "databaseUrl",
        "envFile",
        "extraCa",
        "openaiApiKey",
        "redisPassword",
        "registryPassword",
        "sshKey",
        "sshKnownHosts",
        "stripeSecretKey",
      ].sort(),
    );
    for (const argument of secretish) expect(argument.type, argument.name).toEqual(obj("Secret"));
  });

  it("exposes no field: the secrets and the target stay private to the module", () => {
    for (const [name, property] of Object.entries(hub.properties)) {
      expect(property.isExposed, name).toBe(false);
    }
  });

  it("has documented defaults for the module-wide options", () => {
    const args = hub.constructor.arguments;
    expect(args.projectDir).toMatchObject({ defaultValue: "/srv/lawyers-hub" });
    expect(args.imagePrefix).toMatchObject({ defaultValue: "lawyers-hub" });
    expect(args.operator).toMatchObject({ defaultValue: "dagger" });
    expect(args.nodeImage).toMatchObject({ type: str, defaultValue: NODE_IMAGE });
    for (const argument of Object.values(args)) expect(argument.description, argument.name).not.toBe("");
  });
});

/**
 * Dagger's local defaults (a .env next to dagger.json) set a constructor argument by its name,
 * matched case-insensitively with underscores kept: ENVFILE= or envFile= reach envFile, ENV_FILE=
 * reaches nothing and is silently ignored (read from the v0.21 engine source).
 */
describe("every local-default key the docs and messages teach is a constructor argument", () => {
  const ROOT = fileURLToPath(new URL("../..", import.meta.url));
  const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
  const argumentFor = (key: string) =>
    Object.keys(hub.constructor.arguments).find((name) => name.toLowerCase() === key.toLowerCase());

  /** The keys of the example `.env` block of docs/dagger-module.md. */
  function moduleDocKeys(): string[] {
    const block = read("docs/dagger-module.md").match(/```bash\n# \.env \(next to dagger\.json\)[^\n]*\n([\s\S]*?)```/);
    expect(block, "docs/dagger-module.md has the example .env block").not.toBeNull();
    return [...(block?.[1] ?? "").matchAll(/^(\w+)=/gm)].map((match) => match[1] as string);
  }

  /** The keys the runbook's setup paragraph lists. */
  function runbookKeys(): string[] {
    const list = read("docs/runbook.md").match(/\(keys ((?:`\w+`,?\s*)+):/);
    expect(list, "docs/runbook.md lists the local-default keys").not.toBeNull();
    return [...(list?.[1] ?? "").matchAll(/`(\w+)`/g)].map((match) => match[1] as string);
  }

  it("the rule itself: ENVFILE and envFile match envFile, ENV_FILE matches nothing", () => {
    expect(argumentFor("ENVFILE")).toBe("envFile");
    expect(argumentFor("envFile")).toBe("envFile");
    expect(argumentFor("ENV_FILE")).toBeUndefined();
  });

  it.each([
    ["docs/dagger-module.md", moduleDocKeys],
    ["docs/runbook.md", runbookKeys],
    [
      "the missing-configuration error",
      () => [...missingConfiguration("staging").matchAll(/set (\w+)=/g)].map((m) => m[1] as string),
    ],
  ])("%s", (_where, keys) => {
    const found = keys();
    expect(found.length).toBeGreaterThan(0);
    for (const key of found) expect(argumentFor(key), `${key}= is not a constructor argument`).toBeDefined();
  });
});

describe("caching and checks, as the introspector reads the decorators", () => {
  it("never caches a side-effecting function, and marks lint, typecheck and test as checks", async () => {
    const scanned = await scanModule(prepared);
    const methods = scanned.objects.LawyersHub?.methods ?? {};
    for (const name of SIDE_EFFECTS) expect(methods[name]?.cache, name).toBe("never");
    const checks = Object.entries(methods)
      .filter(([, m]) => m.isCheck)
      .map(([name]) => name);
    expect(checks.sort()).toEqual([...CHECKS].sort());
  });
});
