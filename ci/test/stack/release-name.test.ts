import { describe, expect, it } from "vitest";
import { resolveRelease } from "../../src/stack/release-name.ts";

const A = "3f2c1e9aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B = "3f2c1e9bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const C = "0123456cccccccccccccccccccccccccccccccccc".slice(0, 40);

describe("resolveRelease", () => {
  it("resolves a short SHA to the full commit of the ledger", () => {
    expect(resolveRelease("0123456", [A, C, C])).toBe(C);
    expect(resolveRelease(A.toUpperCase(), [A, B])).toBe(A);
  });

  it("refuses an ambiguous prefix and names the candidates", () => {
    expect(() => resolveRelease("3f2c1e9", [A, B])).toThrow(/matches 2 releases.*give more digits/);
  });

  it("refuses a commit the ledger does not know, and a name that is not a SHA", () => {
    expect(() => resolveRelease("deadbee", [A])).toThrow(/no release deadbee in the ledger/);
    expect(() => resolveRelease("main", [A])).toThrow(/not a commit SHA/);
  });
});
