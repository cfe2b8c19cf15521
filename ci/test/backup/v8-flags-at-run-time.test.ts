// lh-ci starts Node without V8 options (they would cost every start the code cache of Node's
// built-in modules); the two it needs are set at run time. These prove they still take effect.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { collector } from "../../src/restore/collect-read-buffers.ts";
import { runProcess } from "../support/run-process.ts";

const STATEMENT_POLICY = fileURLToPath(new URL("../../src/dump/statement-policy.ts", import.meta.url));

describe("V8 flags set at run time", () => {
  it("keeps the SQL parser on Liftoff: a fresh process that parses 20000 statements stays small", async () => {
    // Without the flags, V8 re-optimises the parser's WebAssembly in the background: 260-400 MB here.
    const script = `
      const { checkStatement, loadStatementParser } = await import(${JSON.stringify(STATEMENT_POLICY)});
      await loadStatementParser();
      for (let i = 0; i < 20000; i++) checkStatement("CREATE TABLE public.t (id integer NOT NULL, name text DEFAULT 'x'::text);");
      await new Promise((resolve) => setTimeout(resolve, 1000)); // time for a background re-optimisation to show
      console.log(process.resourceUsage().maxRSS);`;
    const result = await runProcess(process.execPath, ["--input-type=module", "-e", script], { timeoutMs: 60_000 });
    expect(result.code, result.stderr).toBe(0);
    const peakMb = Number(result.stdout.trim()) / 1024;
    expect(peakMb).toBeGreaterThan(20);
    expect(peakMb).toBeLessThan(160);
  }, 90_000);

  it("finds V8's collector without node --expose-gc, and it collects", async () => {
    let target: object | undefined = { payload: Buffer.alloc(1024) };
    const ref = new WeakRef(target);
    target = undefined;
    await new Promise((resolve) => setImmediate(resolve)); // a WeakRef keeps its target until the job that made it ends
    collector()({ type: "major" });
    expect(ref.deref()).toBeUndefined();
  });
});
