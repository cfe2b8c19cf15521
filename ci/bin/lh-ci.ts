#!/usr/bin/env -S node --liftoff-only --
// "node --": stop Node itself from reading our --env-file option (it scans argv for its own --env-file).
// --liftoff-only: V8 would otherwise optimise the SQL parser's WebAssembly (libpg-query) with TurboFan
// in the background, which takes over 400 MB: the ops container (512 MB) was OOM-killed at exit.
// Entry point of the `lh-ci` command. Node 24 runs this TypeScript directly (erasable syntax only).
import { enableCompileCache } from "node:module";

import { main } from "../src/cli/main.ts";

// Cache compiled modules between runs: start-up time is part of every backup and restore.
enableCompileCache();
process.exitCode = await main(process.argv.slice(2));
