// Preloaded into an lh-ci process by the benchmark (`node --import`): writes the process's peak
// resident set size (KB) to $BENCH_RSS_FILE when it exits, so memory is measured, not guessed.
import { writeFileSync } from "node:fs";

const file = process.env.BENCH_RSS_FILE;
if (file) process.on("exit", () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
