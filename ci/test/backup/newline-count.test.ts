import { describe, expect, it } from "vitest";
import { COUNTING_BUFFER_BYTES, countNewlines, newlineCountingBuffer } from "../../src/dump/newline-count.ts";

/** The plain count, one byte at a time. */
function reference(data: Buffer, from: number, to: number): number {
  let count = 0;
  for (let at = from; at < to; at++) if (data[at] === 0x0a) count++;
  return count;
}

describe("countNewlines", () => {
  it("counts exactly what a byte-by-byte count finds, in the SIMD buffer and in any other buffer", () => {
    const buffer = newlineCountingBuffer();
    expect(buffer.length).toBe(COUNTING_BUFFER_BYTES);
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let trial = 0; trial < 500; trial++) {
      const length = Math.floor(random() * 3000);
      for (let at = 0; at < length; at++) buffer[at] = random() < 0.2 ? 0x0a : Math.floor(random() * 256);
      const start = Math.floor(random() * 40);
      const data = buffer.subarray(start, length); // a view at an offset, as a subarray of a chunk is
      const from = Math.floor(random() * 20);
      const to = Math.max(from, data.length - Math.floor(random() * 20));
      const expected = reference(data, from, to);
      expect(countNewlines(data, from, to)).toBe(expected);
      expect(countNewlines(Buffer.from(data), from, to)).toBe(expected); // not in a counting buffer
    }
  });

  it("counts a whole buffer of newlines, and nothing in an empty range", () => {
    const buffer = newlineCountingBuffer().fill(0x0a);
    expect(countNewlines(buffer, 0, buffer.length)).toBe(COUNTING_BUFFER_BYTES);
    expect(countNewlines(buffer, 5, 5)).toBe(0);
    expect(countNewlines(buffer, 9, 3)).toBe(0);
  });

  it("each counting buffer is its own memory", () => {
    const one = newlineCountingBuffer().fill(0x0a);
    const two = newlineCountingBuffer().fill(0x20);
    expect(countNewlines(one, 0, 100)).toBe(100);
    expect(countNewlines(two, 0, 100)).toBe(0);
  });
});
