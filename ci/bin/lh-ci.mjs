#!/usr/bin/env -S node --
// Entry point of the `lh-ci` command: plain JavaScript, so that Node does not load its TypeScript
// stripper at every start (about 40 ms) when every module of the toolkit is in the compile cache.
// "node --": stop Node itself from reading our --env-file option (it scans argv for its own --env-file).
import { enableCompileCache } from "node:module";

// --liftoff-only: V8 would otherwise optimise the SQL parser's WebAssembly (libpg-query) with
// TurboFan in the background, which takes over 400 MB: the ops container (512 MB) was OOM-killed
// at exit. --expose-gc: a restore asks for its read buffers to be collected as it goes
// (ci/src/restore/collect-read-buffers.ts). But any V8 flag makes Node reject the code cache of
// its own built-in modules (about 20 ms a start). Every command may parse SQL (a backup checks
// its dump as restore will), so this process is replaced with one that has them (same pid,
// signals and descriptors).
const V8_FLAGS = ["--liftoff-only", "--expose-gc"];
const args = process.argv.slice(2);
if (!process.execArgv.includes(V8_FLAGS[0])) {
  const script = process.argv[1] ?? "";
  process.execve(process.execPath, [process.execPath, ...V8_FLAGS, ...process.execArgv, "--", script, ...args]);
}

// Cache compiled (and type-stripped) modules between runs: start-up time is part of every backup
// and restore. Enabled before anything else loads: a static import of main would be compiled
// before this line runs, and so would its whole module graph.
enableCompileCache();
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(args);
