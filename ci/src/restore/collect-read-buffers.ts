/** How much of the backup is read between two requests to collect the read buffers it left behind. */
const COLLECT_EVERY_BYTES = 32 * 1024 * 1024;

type Collect = (options: { type: "major"; execution: "async" }) => void;

/**
 * The restore reads the backup in 1 MB buffers, each garbage once the server has it. V8 frees them only
 * at its next collection, which a small heap reaches only after some 64 MB of such buffers, so the
 * restore's peak RSS grew with the file (1.27x from scale 5 to 20 in one bench run). Asking for a
 * collection (in the background) every 32 MB read keeps the peak independent of the file's size.
 * `gc` exists when lh-ci runs as its entry starts it (--expose-gc, ci/bin/lh-ci.mjs); elsewhere
 * (a test calling loadBackup in its own process) this does nothing.
 */
export function collectReadBuffers(): (bytesRead: number) => void {
  const gc = (globalThis as { gc?: Collect }).gc;
  let next = COLLECT_EVERY_BYTES;
  return (bytesRead) => {
    if (!gc || bytesRead < next) return;
    next = bytesRead + COLLECT_EVERY_BYTES;
    gc({ type: "major", execution: "async" });
  };
}
