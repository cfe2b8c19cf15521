/** Registry mode's plain parts: the host of a repository and the reference by digest lh-ci is given. */
import { describe, expect, it } from "vitest";
import { byDigest, registryHost } from "../src/registry.ts";

const DIGEST = `sha256:${"c".repeat(64)}`;

describe("registry mode of deploy", () => {
  it("logs in to the repository's host", () => {
    expect(registryHost("ghcr.io/acme/lawyers-hub")).toBe("ghcr.io");
    expect(registryHost("registry.internal:5000/lh")).toBe("registry.internal:5000");
  });

  it("hands lh-ci the published image by digest alone (the tag dropped, a port kept)", () => {
    expect(byDigest(`ghcr.io/acme/lawyers-hub/api:abc123@${DIGEST}`)).toBe(`ghcr.io/acme/lawyers-hub/api@${DIGEST}`);
    expect(byDigest(`registry.internal:5000/lh/web@${DIGEST}`)).toBe(`registry.internal:5000/lh/web@${DIGEST}`);
    expect(() => byDigest("ghcr.io/acme/lawyers-hub/api:abc123")).toThrow(/names no digest/);
  });
});
