import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** How much of the backup is read between two requests to collect the read buffers it left behind. */
const COLLECT_EVERY_BYTES = 32 * 1024 * 1024;

type Collect = (options: { type: "major"; execution?: "async" }) => void;

/**
 * The restore reads the backup in 1 MB buffers, each garbage once the server has it. V8 frees them only
 * at its next collection, which a small heap reaches only after some 64 MB of such buffers, so the
 * restore's peak RSS grew with the file (1.27x from scale 5 to 20 in one bench run). Asking for a
 * collection (in the background) every 32 MB read keeps the peak independent of the file's size.
 */
export function collectReadBuffers(): (bytesRead: number) => void {
  const gc = collector();
  let next = COLLECT_EVERY_BYTES;
  return (bytesRead) => {
    if (bytesRead < next) return;
    next = bytesRead + COLLECT_EVERY_BYTES;
    gc({ type: "major", execution: "async" });
  };
}

let found: Collect | undefined;

/**
 * V8's `gc`, asked for at run time (a context made after --expose-gc has it) rather than with
 * `node --expose-gc`: a V8 flag given at start makes Node reject the code cache of its built-in
 * modules, a cost every start of lh-ci would pay for what only a restore uses.
 */
export function collector(): Collect {
  if (!found) {
    setFlagsFromString("--expose-gc");
    found = runInNewContext("gc") as Collect;
  }
  return found;
}
