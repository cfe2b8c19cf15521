import { defineConfig } from "vitest/config";

// One run covers every workspace; tests talk to the real PostgreSQL and Redis of the machine,
// so each test file makes its own database / key prefix and files may run in parallel.
export default defineConfig({
  test: {
    include: ["{ci,packages,apps,dagger,tests}/**/*.test.ts"],
    // tests/e2e needs a Docker engine and runs on its own: `npm run e2e`.
    exclude: ["**/node_modules/**", "dagger/sdk/**", "tests/e2e/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // The JSON report lets .ci/run print a one-line "N passed, N failed" summary.
    reporters: ["default", ["json", { outputFile: ".vitest-report/results.json" }]],
  },
});
