#!/usr/bin/env node
// Entry point of the `browser-check` program: plain JavaScript that loads the TypeScript sources
// (Node strips their types), as lh-ci's entry point does; the package has nothing to build.
const { main } = await import("../src/cli.ts");
process.exitCode = await main(process.argv.slice(2));
