import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// `npm run e2e`: the scenarios on a real Docker engine, one file at a time (they share the engine,
// its published loopback ports and two cores), each test in order.
export default defineConfig({
  root: fileURLToPath(new URL("../../", import.meta.url)),
  test: {
    include: ["tests/e2e/**/*.e2e.test.ts"],
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 300_000,
    pool: "forks",
    // .ci/run runs the test recipe's file apart from the others, each with a report of its own.
    reporters: ["verbose", ["json", { outputFile: process.env.LH_E2E_REPORT ?? ".vitest-report/e2e.json" }]],
  },
});
