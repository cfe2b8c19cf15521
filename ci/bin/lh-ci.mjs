#!/usr/bin/env -S node --
// Entry point of the `lh-ci` command: plain JavaScript, so that Node does not load its TypeScript
// stripper at every start (about 40 ms) when every module of the toolkit is in the compile cache.
// "node --": stop Node itself from reading our --env-file option (it scans argv for its own --env-file).
// No V8 option here: any makes Node reject the code cache of its own built-in modules. The two
// lh-ci needs are set at run time by what needs them (ci/src/dump/liftoff-only.ts for the SQL
// parser, ci/src/restore/collect-read-buffers.ts for the restore's collections).
import { enableCompileCache } from "node:module";

// Cache compiled (and type-stripped) modules between runs: start-up time is part of every backup
// and restore. Enabled before anything else loads: a static import of main would be compiled
// before this line runs, and so would its whole module graph.
enableCompileCache();
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
