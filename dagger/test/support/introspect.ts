/**
 * Runs Dagger's own TypeScript introspector (shipped in @dagger.io/dagger) on the module without
 * an engine. The introspector needs the SDK as TypeScript *sources*: it looks the core types up in
 * a non-declaration file whose name ends in client.gen.ts. A temporary copy of the package's
 * declarations, with api/client.gen.d.ts as api/client.gen.ts and index.d.ts as index.ts, placed
 * as node_modules/@dagger.io/dagger next to a copy of src/, is what the engine's runtime provides.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const MODULE_DIR = fileURLToPath(new URL("../..", import.meta.url));
export const SDK_DIR = join(MODULE_DIR, "node_modules", "@dagger.io", "dagger");
const SDK_SRC = join(SDK_DIR, "dist", "src");
export const INTROSPECTION_ENTRYPOINT = join(SDK_SRC, "module", "entrypoint", "introspection_entrypoint.js");

function declarations(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return declarations(path);
    return name.endsWith(".d.ts") ? [path] : [];
  });
}

export interface PreparedModule {
  root: string;
  srcDir: string;
  clientGen: string;
}

/** A temporary module directory: a copy of src/ and the SDK as sources. */
export function prepareModule(): PreparedModule {
  const root = mkdtempSync(join(tmpdir(), "lawyers-hub-introspect-"));
  const srcDir = join(root, "src");
  cpSync(join(MODULE_DIR, "src"), srcDir, { recursive: true });
  const sdk = join(root, "node_modules", "@dagger.io", "dagger");
  for (const file of declarations(SDK_SRC)) {
    const target = join(sdk, relative(SDK_SRC, file));
    mkdirSync(dirname(target), { recursive: true });
    cpSync(file, target);
  }
  const clientGen = join(sdk, "api", "client.gen.ts");
  renameSync(join(sdk, "api", "client.gen.d.ts"), clientGen);
  renameSync(join(sdk, "index.d.ts"), join(sdk, "index.ts"));
  writeFileSync(
    join(sdk, "package.json"),
    JSON.stringify({ name: "@dagger.io/dagger", type: "module", types: "./index.ts" }),
  );
  return { root, srcDir, clientGen };
}

/** `DRY_RUN=1 node introspection_entrypoint.js lawyers-hub <src> <client.gen.ts>`: the module's JSON. */
export function introspect(prepared: PreparedModule): unknown {
  const result = spawnSync(
    process.execPath,
    [INTROSPECTION_ENTRYPOINT, "lawyers-hub", prepared.srcDir, prepared.clientGen],
    { cwd: prepared.root, env: { PATH: process.env.PATH ?? "", DRY_RUN: "1" }, encoding: "utf8", timeout: 60_000 },
  );
  if (result.status !== 0) {
    throw new Error(`the introspector failed (exit ${result.status}):\n${result.stderr}\n${result.stdout}`);
  }
  return JSON.parse(result.stdout);
}

/** The introspector's own objects (they carry `cache` and `isCheck`, which its JSON leaves out). */
export async function scanModule(prepared: PreparedModule): Promise<{
  objects: Record<string, { methods: Record<string, { cache?: string; isCheck: boolean }> }>;
}> {
  const files = readdirSync(prepared.srcDir).map((name) => join(prepared.srcDir, name));
  const introspector = join(SDK_SRC, "module", "introspector", "index.js");
  const { scan } = (await import(introspector)) as {
    scan: (files: string[], name: string, all: boolean) => Promise<never>;
  };
  return await scan([...files, prepared.clientGen], "lawyers-hub", false);
}
