import { defineConfig } from "vitest/config";

/** Tests that need a Docker engine or the Docker CLI: their own tier (`npm run test:engine`, vitest.engine.config.ts). */
export const ENGINE_TESTS = "**/*.engine.test.ts";
/**
 * Tests that need the host: its root privileges (a mount namespace with a tmpfs of its own), which
 * no check container has, or (one, said in its file) that do not yet pass in the check container.
 * They run on the host with the engine tier.
 */
export const HOST_TESTS = "**/*.host.test.ts";

// `npm run test:vitest`, what `dagger call test` runs: every workspace's tests against a real
// PostgreSQL and Redis (the machine's, or the services named by TEST_POSTGRES_URL / TEST_REDIS_HOST,
// see ci/test/support/service-addresses.ts), with no Docker engine. Each test file makes its own
// database / key prefix, so files may run in parallel.
export default defineConfig({
  test: {
    include: ["{ci,packages,apps,dagger,tests}/**/*.test.ts"],
    // tests/e2e and the engine tier need a Docker engine (or the host's privileges) and run on their own.
    exclude: ["**/node_modules/**", "dagger/sdk/**", "tests/e2e/**", ENGINE_TESTS, HOST_TESTS],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // The JSON report lets .ci/run print a one-line "N passed, N failed" summary; LH_VITEST_REPORT
    // names another file (the replayed test container writes into a mounted folder).
    reporters: ["default", ["json", { outputFile: process.env.LH_VITEST_REPORT || ".vitest-report/results.json" }]],
  },
});
