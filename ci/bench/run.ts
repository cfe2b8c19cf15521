// `npm run bench`: runs every `*.bench.ts` in this folder, one after the other (they time real
// work and must not compete for the CPU), each as its own Node process. Each benchmark measures
// its own baseline in the same run and prints its ratio to it; a benchmark that misses its target
// exits non-zero, and so does this runner.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((name) => name.endsWith(".bench.ts"))
  .filter((name) => only.length === 0 || only.some((word) => name.includes(word)))
  .sort();

const failed: string[] = [];
for (const name of benches) {
  console.log(`\n== ${name}`);
  const result = spawnSync(process.execPath, ["--", join(here, name)], { stdio: "inherit" });
  if (result.status !== 0) failed.push(name);
}
console.log(
  `\n${benches.length - failed.length}/${benches.length} benchmark(s) met their targets${failed.length ? `; missed: ${failed.join(", ")}` : ""}`,
);
process.exitCode = failed.length ? 1 : 0;
