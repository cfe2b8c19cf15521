import { open } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

const CHUNK = 1024 * 1024;
const POLL_MS = 5;

/**
 * Reads a file while another process is still writing it, handing each new chunk to `observe`,
 * until `writerDone` settles and the last bytes are read. This lets pg_dump write straight to
 * the backup file (no pipe through Node, the cost a checksum would otherwise add) while the
 * checksum is computed on the other core from the page cache. Each chunk is read into `buffer`
 * (reused: `observe` must copy what it keeps).
 */
export async function followFile(
  path: string,
  writerDone: Promise<unknown>,
  observe: (chunk: Buffer) => void,
  buffer: Buffer = Buffer.allocUnsafe(CHUNK),
): Promise<void> {
  let done = false;
  const finish = () => {
    done = true;
  };
  const settled = writerDone.then(finish, finish);
  const file = await open(path, "r");
  try {
    let position = 0;
    for (;;) {
      // Read `done` before reading: once the writer has exited, a read of 0 bytes is the true end.
      const writerFinished = done;
      const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
      if (bytesRead > 0) {
        observe(buffer.subarray(0, bytesRead));
        position += bytesRead;
      } else if (writerFinished) {
        return;
      } else {
        await Promise.race([sleep(POLL_MS), settled]); // the writer's exit wakes it at once: the end is on the critical path
      }
    }
  } finally {
    await file.close();
  }
}
