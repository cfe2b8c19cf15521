#!/usr/bin/env -S node --liftoff-only --
// Entry point of the `lh-ci` command: plain JavaScript, so that Node does not load its TypeScript
// stripper at every start (about 40 ms) when every module of the toolkit is in the compile cache.
// "node --": stop Node itself from reading our --env-file option (it scans argv for its own --env-file).
// --liftoff-only: V8 would otherwise optimise the SQL parser's WebAssembly (libpg-query) with TurboFan
// in the background, which takes over 400 MB: the ops container (512 MB) was OOM-killed at exit.
import { enableCompileCache } from "node:module";

// Cache compiled (and type-stripped) modules between runs: start-up time is part of every backup
// and restore. Enabled before anything else loads: a static import of main would be compiled
// before this line runs, and so would its whole module graph.
enableCompileCache();
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
