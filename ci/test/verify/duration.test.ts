import { describe, expect, it } from "vitest";
import { formatDuration } from "../../src/state/duration.ts";

describe("formatDuration", () => {
  const cases: Array<[number, string]> = [
    [0, "0ms"],
    [999.4, "999ms"],
    [999.6, "1s"],
    [1500, "1.5s"],
    [9996, "10s"],
    [59_940, "59.9s"],
    [59_960, "1m"],
    [119_400, "1m 59s"],
    [119_600, "2m"],
    [3_599_600, "1h"],
    [5_430_000, "1h 31m"],
    [7_199_999, "2h"],
  ];
  for (const [ms, text] of cases) {
    it(`prints ${ms} ms as ${text}`, () => expect(formatDuration(ms)).toBe(text));
  }

  it("never prints 60 seconds or 60 minutes", () => {
    for (let ms = 0; ms < 2 * 3_600_000; ms += 211.7) {
      expect(formatDuration(ms)).not.toMatch(/(^|\D)60(\.0)?(s|m)/);
    }
  });
});
