import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { ByteMeter } from "../backup/byte-meter.ts";

/** The plain SQL of a backup file, decompressed when it is .gz; `onBytes` counts file bytes read. */
export function dumpSource(path: string, gzip: boolean, onBytes?: (total: number) => void): Readable {
  const file = createReadStream(path, { highWaterMark: 256 * 1024 });
  const meter = new ByteMeter(onBytes);
  const stages: Readable[] = [file, meter];
  let source: Readable = file.pipe(meter);
  if (gzip) {
    const gunzip = createGunzip();
    stages.push(gunzip);
    source = meter.pipe(gunzip);
  }
  // .pipe() does not forward errors: a read or gzip error must reach whoever consumes the SQL.
  for (const stage of stages.slice(0, -1)) stage.on("error", (error) => source.destroy(error));
  return source;
}
