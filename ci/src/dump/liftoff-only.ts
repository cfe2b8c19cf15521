import { setFlagsFromString } from "node:v8";

/**
 * Keeps PostgreSQL's parser (libpg-query's WebAssembly) on V8's baseline compiler, Liftoff: V8
 * would otherwise re-optimise it with TurboFan in the background, which takes over 400 MB (the ops
 * container, 512 MB, was OOM-killed at exit). Call before the parser compiles.
 *
 * Set at run time rather than as Node options: a V8 flag given at start makes Node reject the code
 * cache of its own built-in modules (about 20-50 ms of every start), and the entry had to
 * re-execute itself to add it (a second Node start). V8 applies a flag's implications only at
 * start, so `--liftoff-only` alone does nothing here: the two it implies are what stop the tier-up.
 */
export function keepWasmOnLiftoff(): void {
  if (applied) return;
  applied = true;
  setFlagsFromString("--liftoff-only --no-wasm-tier-up --no-wasm-dynamic-tiering");
}

let applied = false;
