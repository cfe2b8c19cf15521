import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FlushBehind } from "../../src/backup/flush-behind.ts";
import { tempDir } from "../support/temp-dir.ts";

const PAST_THE_INTERVAL = 64 * 1024 * 1024;

describe("flushing a backup file behind its writer", () => {
  it("flushes once enough was written and settles before the file is closed", async () => {
    const path = join(tempDir("lh-flush-"), "dump.sql");
    const fd = openSync(path, "w", 0o600);
    writeSync(fd, "-- a dump\n");
    const flush = new FlushBehind(fd);
    flush.written(1024); // too little since the last flush: nothing to do
    flush.written(PAST_THE_INTERVAL);
    await flush.settle();
    closeSync(fd);
    expect(readFileSync(path, "utf8")).toBe("-- a dump\n");
  });

  it("keeps a failed flush's error for settle, so the backup fails instead of trusting the final fsync alone", async () => {
    const flush = new FlushBehind(1_000_000); // never an open descriptor: the flush fails (EBADF), as a write-back error would
    flush.written(PAST_THE_INTERVAL);
    await expect(flush.settle()).rejects.toMatchObject({ code: "EBADF" });
    flush.written(2 * PAST_THE_INTERVAL); // no further flush after a failure; the error stays
    await expect(flush.settle()).rejects.toMatchObject({ code: "EBADF" });
  });
});
