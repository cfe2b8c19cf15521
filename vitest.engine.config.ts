import { defineConfig } from "vitest/config";
import { ENGINE_TESTS, HOST_TESTS } from "./vitest.config.ts";

// `npm run test:engine`: the toolkit's tests that drive a real Docker engine (ci/test/stack),
// run by .ci/run next to the e2e, and the tests that need the host's root privileges (*.host.test.ts). Each file uses names of its own, so files may run in parallel.
export default defineConfig({
  test: {
    include: [ENGINE_TESTS, HOST_TESTS],
    exclude: ["**/node_modules/**", "dagger/sdk/**", "tests/e2e/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ["default", ["json", { outputFile: ".vitest-report/engine.json" }]],
  },
});
