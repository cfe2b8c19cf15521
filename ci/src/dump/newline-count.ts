const NEWLINE = 0x0a;

/** The read buffer's size: one followFile chunk. */
export const COUNTING_BUFFER_BYTES = 1024 * 1024;

/**
 * A 16-bytes-at-a-time newline counter in WebAssembly (SIMD), for the backup's row counts: a
 * native `indexOf` per row cost about 60 ms of a scale-20 backup, on a core pg_dump needs. It counts
 * in place, in its own memory, so the dump is read straight into that memory (`buffer`) and never
 * copied. The module, as text (wasm's own text format; the bytes below are its encoding):
 *
 *   (module
 *     (memory (export "memory") 17)            ;; 1 MiB for the buffer, 64 KiB to spare
 *     (func (export "count") (param $from i32) (param $to i32) (result i32)
 *       (local $n i32) (local $newlines v128)
 *       (local.set $newlines (i8x16.splat (i32.const 10)))
 *       (block $done (loop $vector                ;; while from + 16 <= to
 *         (br_if $done (i32.gt_u (i32.add (local.get $from) (i32.const 16)) (local.get $to)))
 *         (local.set $n (i32.add (local.get $n) (i32.popcnt (i8x16.bitmask
 *           (i8x16.eq (v128.load (local.get $from)) (local.get $newlines))))))
 *         (local.set $from (i32.add (local.get $from) (i32.const 16)))
 *         (br $vector)))
 *       (block $done (loop $byte                  ;; the last 0-15 bytes
 *         (br_if $done (i32.ge_u (local.get $from) (local.get $to)))
 *         (local.set $n (i32.add (local.get $n) (i32.eq (i32.load8_u (local.get $from)) (i32.const 10))))
 *         (local.set $from (i32.add (local.get $from) (i32.const 1)))
 *         (br $byte)))
 *       (local.get $n)))
 *
 * An offset outside the memory traps (an error), never reads elsewhere.
 */
// biome-ignore format: one instruction group per line, as in the text above
const MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, // type: (i32, i32) -> i32
  0x03, 0x02, 0x01, 0x00, // function 0 has type 0
  0x05, 0x03, 0x01, 0x00, 0x11, // memory: 17 pages, no maximum
  0x07, 0x12, 0x02, // exports:
  0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, // "memory" = memory 0
  0x05, 0x63, 0x6f, 0x75, 0x6e, 0x74, 0x00, 0x00, // "count" = function 0
  0x0a, 0x5e, 0x01, 0x5c, // code: one body of 92 bytes
  0x02, 0x01, 0x7f, 0x01, 0x7b, // locals: $n i32, $newlines v128
  0x41, 0x0a, 0xfd, 0x0f, 0x21, 0x03, // newlines = i8x16.splat(10)
  0x02, 0x40, 0x03, 0x40, // block, loop
  0x20, 0x00, 0x41, 0x10, 0x6a, 0x20, 0x01, 0x4b, 0x0d, 0x01, // br_if from + 16 > to
  0x20, 0x02, 0x20, 0x00, 0xfd, 0x00, 0x00, 0x00, 0x20, 0x03, 0xfd, 0x23, // n, load(from) == newlines
  0xfd, 0x64, 0x69, 0x6a, 0x21, 0x02, // n += popcnt(bitmask(...))
  0x20, 0x00, 0x41, 0x10, 0x6a, 0x21, 0x00, 0x0c, 0x00, 0x0b, 0x0b, // from += 16; loop; end end
  0x02, 0x40, 0x03, 0x40, // block, loop
  0x20, 0x00, 0x20, 0x01, 0x4f, 0x0d, 0x01, // br_if from >= to
  0x20, 0x02, 0x20, 0x00, 0x2d, 0x00, 0x00, 0x41, 0x0a, 0x46, 0x6a, 0x21, 0x02, // n += load8(from) == 10
  0x20, 0x00, 0x41, 0x01, 0x6a, 0x21, 0x00, 0x0c, 0x00, 0x0b, 0x0b, // from += 1; loop; end end
  0x20, 0x02, 0x0b, // return n
]);

/** The part of the WebAssembly API used here (the project's TypeScript libs carry no DOM types). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
};

let compiled: object | undefined;

interface CounterExports {
  memory: { buffer: ArrayBuffer };
  count(from: number, to: number): number;
}

/** Counters by the memory they count in: `countNewlines` finds the one a buffer lives in. */
const counters = new WeakMap<ArrayBufferLike, CounterExports>();

/**
 * A buffer to read dump chunks into (at most COUNTING_BUFFER_BYTES at a time): `countNewlines` on
 * any part of it counts with SIMD, in place. One per reader; its memory is freed with it.
 */
export function newlineCountingBuffer(): Buffer {
  compiled ??= new WebAssembly.Module(MODULE);
  const counter = new WebAssembly.Instance(compiled).exports as CounterExports;
  counters.set(counter.memory.buffer, counter);
  return Buffer.from(counter.memory.buffer, 0, COUNTING_BUFFER_BYTES);
}

/** The number of newline bytes in `data[from, to)`: with SIMD when `data` lives in a counting buffer. */
export function countNewlines(data: Buffer, from: number, to: number): number {
  if (to <= from) return 0;
  const counter = counters.get(data.buffer);
  if (counter) return counter.count(data.byteOffset + from, data.byteOffset + to);
  let count = 0;
  for (
    let newline = data.indexOf(NEWLINE, from);
    newline >= 0 && newline < to;
    newline = data.indexOf(NEWLINE, newline + 1)
  ) {
    count++;
  }
  return count;
}
