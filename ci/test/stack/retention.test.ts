import { describe, expect, it } from "vitest";
import { imagesToPrune, ledgerCommits } from "../../src/stack/retention.ts";

const sha = (n: number) => String(n).repeat(40).slice(0, 40);

describe("imagesToPrune", () => {
  const ledger = [sha(7), sha(6), sha(6), sha(5), sha(4), sha(3), sha(2), sha(1)];
  const present = [1, 2, 3, 4, 5, 6, 7].flatMap((n) => [`lawyers-hub/api:${sha(n)}`, `lawyers-hub/ops:${sha(n)}`]);

  it("keeps the images of the last five distinct releases and removes older ones", () => {
    const pruned = imagesToPrune(present, ledger, sha(7), "lawyers-hub");
    expect(pruned).toEqual([
      `lawyers-hub/api:${sha(1)}`,
      `lawyers-hub/ops:${sha(1)}`,
      `lawyers-hub/api:${sha(2)}`,
      `lawyers-hub/ops:${sha(2)}`,
    ]);
  });

  it("always keeps the running release, even one the ledger does not list", () => {
    const pruned = imagesToPrune(present, ledger.slice(0, 1), sha(1), "lawyers-hub");
    expect(pruned).not.toContain(`lawyers-hub/api:${sha(1)}`);
    expect(pruned).toContain(`lawyers-hub/api:${sha(2)}`);
  });

  it("never touches images of other repositories or prefixes", () => {
    const others = ["postgres:15.13-bookworm", `ghcr.io/acme/api:${sha(1)}`, "<none>:<none>"];
    expect(imagesToPrune(others, [sha(7)], sha(7), "lawyers-hub")).toEqual([]);
  });
});

describe("ledgerCommits", () => {
  it("reads the commits of lh-ci releases list --json", () => {
    expect(ledgerCommits(JSON.stringify([{ commit: sha(2) }, { commit: sha(1) }]))).toEqual([sha(2), sha(1)]);
  });

  it("refuses output that is not a JSON array", () => {
    expect(() => ledgerCommits("{}")).toThrow(/JSON array/);
  });
});
