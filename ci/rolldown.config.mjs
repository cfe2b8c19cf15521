// Bundles lh-ci into ci/dist, which the ops image runs (`npm run build:lh-ci`; the image builds it).
// Why: a start of lh-ci from its sources loads about 200 modules (zod alone is 95), about 0.1 s
// before pg_dump can start; backup and restore are timed against bare pg_dump and psql. Each
// command stays its own chunk, loaded only when it runs, as in ci/src/cli/registry.ts.
// Tests run the sources (ci/bin/lh-ci.mjs); the e2e runs this bundle inside the ops image.
import { fileURLToPath } from "node:url";
import { defineConfig } from "rolldown";

export default defineConfig({
  input: { "lh-ci": fileURLToPath(new URL("./bin/lh-ci.mjs", import.meta.url)) },
  platform: "node",
  // libpg-query loads its WebAssembly from beside its own file; pg-native is an optional binding
  // pg requires only when asked for. Both resolve from node_modules at run time.
  external: ["libpg-query", "pg-native"],
  output: {
    dir: fileURLToPath(new URL("./dist", import.meta.url)),
    cleanDir: true, // no chunk of an earlier build stays behind
    format: "esm",
    entryFileNames: "[name].mjs",
    chunkFileNames: "[name]-[hash].mjs",
  },
});
