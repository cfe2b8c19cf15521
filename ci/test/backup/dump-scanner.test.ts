import { beforeAll, describe, expect, it } from "vitest";
import { COPY_END, type DumpPiece, DumpRefused, DumpScanner } from "../../src/dump/dump-scanner.ts";
import { newlineCountingBuffer } from "../../src/dump/newline-count.ts";
import { loadStatementParser } from "../../src/dump/statement-policy.ts";
import { pgDumpFraming } from "./forge.ts";

const LONG = "x".repeat(70_000);
const BODY = `CREATE TABLE public.a (t text);
CREATE TABLE public.b (t text);
CREATE TABLE public.c (t text);

COPY public.a (t) FROM stdin;
\\\\N
\\.x
\\.\\.
short
\\

${LONG}
\\.

COPY public.b (t) FROM stdin;
\\.

COPY public.c (t) FROM stdin;
one\\ttab\\nnewline\\\\backslash
\\.
SELECT pg_catalog.set_config('search_path', '', false);
`;
const DUMP = Buffer.from(pgDumpFraming(BODY));
const EXPECTED = { "public.a": 7, "public.b": 0, "public.c": 1 };

/** Feeds `bytes` in pieces of the given sizes (cycled), collecting what the scanner passes on. */
async function scan(
  bytes: Buffer,
  sizes: number[],
  countRows: boolean,
): Promise<{ out: Buffer; scanner: DumpScanner }> {
  const scanner = new DumpScanner({ countRows });
  const pieces: Buffer[] = [];
  const filter = scanner.filter();
  let failure: Error | undefined;
  // Back to text: a statement and its newline, COPY data as it is, the end of COPY data as `\.`.
  filter.on("data", (piece: DumpPiece) =>
    pieces.push(
      piece === COPY_END ? Buffer.from("\\.\n") : Buffer.isBuffer(piece) ? piece : Buffer.from(`${piece.statement}\n`),
    ),
  );
  filter.on("error", (error: Error) => {
    failure ??= error;
  });
  let at = 0;
  let index = 0;
  while (at < bytes.length) {
    const size = sizes[index++ % sizes.length] ?? 1;
    filter.write(bytes.subarray(at, at + size));
    at += size;
    if (failure) break;
  }
  await new Promise((resolve) => setImmediate(resolve));
  if (failure) throw failure;
  scanner.finish();
  return { out: Buffer.concat(pieces), scanner };
}

describe("the dump scanner, whatever the chunk boundaries", () => {
  beforeAll(() => loadStatementParser());

  it("counts COPY rows exactly and passes on the same bytes in both modes", async () => {
    const reference = await scan(DUMP, [DUMP.length], true);
    expect(reference.scanner.rowCounts()).toEqual(EXPECTED);
    expect(reference.out.toString()).toContain(`${LONG}\n\\.\n`);
    expect(reference.out.toString()).not.toContain("\\restrict"); // pg_dump's frame is not passed on
    for (const sizes of [[1], [2], [3], [5, 1, 7], [4096], [65_536, 3], [8191, 1, 2, 3]]) {
      for (const countRows of [true, false]) {
        const { out, scanner } = await scan(DUMP, sizes, countRows);
        expect(out.equals(reference.out), `sizes ${sizes} countRows ${countRows}`).toBe(true);
        expect(scanner.data.map((statement) => statement.table)).toEqual(["public.a", "public.b", "public.c"]);
        if (countRows) expect(scanner.rowCounts()).toEqual(EXPECTED);
      }
    }
  });

  it("counts the same rows when each chunk is read into the SIMD counting buffer, as backup reads the file", () => {
    const rows = Array.from({ length: 50_000 }, (_, row) => `${row}\\t${"v".repeat(row % 37)}`).join("\n");
    const big = Buffer.from(
      pgDumpFraming(
        `${BODY}\nCOPY public.d (t) FROM stdin;\n${rows}\n\\.\n`.replace(
          "CREATE TABLE public.c (t text);",
          "CREATE TABLE public.c (t text);\nCREATE TABLE public.d (t text);",
        ),
      ),
    );
    for (const dump of [DUMP, big]) {
      const expected = new DumpScanner();
      expected.observe(Buffer.from(dump));
      expected.finish();
      expect(expected.rowCounts()).toEqual(dump === DUMP ? EXPECTED : { ...EXPECTED, "public.d": 50_000 });
      for (const size of [1, 15, 16, 17, 4096, 65_539, 1024 * 1024]) {
        const scanner = new DumpScanner();
        const buffer = newlineCountingBuffer(); // reused for every chunk, as followFile reuses it
        for (let at = 0; at < dump.length; at += size) {
          const length = dump.copy(buffer, 0, at, Math.min(at + size, dump.length));
          scanner.observe(buffer.subarray(0, length));
        }
        scanner.finish();
        expect(scanner.rowCounts(), `chunks of ${size}`).toEqual(expected.rowCounts());
      }
    }
    expect(big.length).toBeGreaterThan(1024 * 1024);
  });

  it("checks the SQL after COPY data in both modes, and says where it is", async () => {
    const hostile = Buffer.from(pgDumpFraming(`${BODY}\\! touch /tmp/never\n`));
    for (const countRows of [true, false]) {
      for (const sizes of [[1], [3], [hostile.length]]) {
        await expect(scan(hostile, sizes, countRows)).rejects.toThrow(DumpRefused);
      }
    }
    await expect(scan(hostile, [7], false)).rejects.toThrow(
      /line 2 after the COPY data of public\.c: a psql meta-command \(\\!\)/,
    );
    await expect(scan(hostile, [7], true)).rejects.toThrow(/line \d+: a psql meta-command \(\\!\)/);
  });

  it("refuses a dump that ends inside COPY data", async () => {
    const cut = Buffer.from(pgDumpFraming(BODY).slice(0, pgDumpFraming(BODY).indexOf(LONG)));
    for (const countRows of [true, false]) {
      await expect(scan(cut, [10], countRows)).rejects.toThrow(/ends inside the COPY data of public\.a/);
    }
  });
});
