/** Registry mode's options, its login and how compose is told the digests (no engine needed). */
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/cli/exit-codes.ts";
import { compose } from "../../src/stack/compose.ts";
import { IMAGE_SERVICES } from "../../src/stack/images.ts";
import { parseImageOptions, pullOutcome, registryHost, registryLogin } from "../../src/stack/registry-images.ts";

const DIGEST = `sha256:${"ab".repeat(32)}`;
const options = IMAGE_SERVICES.map((service) => `${service}=ghcr.io/acme/lawyers-hub/${service}@${DIGEST}`);

describe("--image SERVICE=REF@sha256:DIGEST", () => {
  it("takes one reference by digest per image of the release", () => {
    const refs = parseImageOptions(options);
    expect(refs["ai-gateway"]).toBe(`ghcr.io/acme/lawyers-hub/ai-gateway@${DIGEST}`);
    expect(registryHost(refs.api)).toBe("ghcr.io");
    expect(registryHost(`127.0.0.1:5000/lh/api@${DIGEST}`)).toBe("127.0.0.1:5000");
  });

  it("refuses a tag instead of a digest, an unknown service, a missing or repeated image", () => {
    const tagged = options.map((option) => option.replace(`@${DIGEST}`, ":v1"));
    expect(() => parseImageOptions(tagged)).toThrow(/not REGISTRY\/REPOSITORY@sha256:DIGEST.*by digest, not by tag/);
    expect(() => parseImageOptions([...options, `db=ghcr.io/x/db@${DIGEST}`])).toThrow(/SERVICE one of api, web/);
    expect(() => parseImageOptions(options.slice(1))).toThrow(/missing api/);
    expect(() => parseImageOptions([...options, options[0] as string])).toThrow(/--image api given twice/);
    expect(() => parseImageOptions(options.slice(1))).toThrow(UsageError);
  });
});

describe("the registry login", () => {
  it("comes from REGISTRY_USERNAME and REGISTRY_PASSWORD together, or not at all", () => {
    expect(registryLogin({})).toBeUndefined();
    expect(registryLogin({ REGISTRY_USERNAME: "ci", REGISTRY_PASSWORD: "s3cret-token" })).toEqual({
      username: "ci",
      password: "s3cret-token",
    });
    expect(() => registryLogin({ REGISTRY_USERNAME: "ci" })).toThrow(/go together/);
  });
});

describe("compose in registry mode", () => {
  const refs = parseImageOptions(options);
  const project = { name: "p", files: ["/c.yml"], projectDirectory: "/c", imagePrefix: "lawyers-hub" };

  it("gets every image variable of the pinned release, and none for another release (a rollback)", () => {
    const pinned = { ...project, pinned: { release: "r2", refs } };
    expect(compose(pinned, "r2", "up").env).toMatchObject({
      RELEASE: "r2",
      API_IMAGE: refs.api,
      AI_GATEWAY_IMAGE: refs["ai-gateway"],
      OPS_IMAGE: refs.ops,
    });
    expect(compose(pinned, "r1", "up").env).toEqual({ RELEASE: "r1", IMAGE_PREFIX: "lawyers-hub" });
  });
});

describe("docker pull's outcome", () => {
  it("counts the layers downloaded and those the engine had", () => {
    const output =
      "abc: Already exists\ndef: Pulling fs layer\ndef: Pull complete\n123: Pull complete\nDigest: sha256:x\n";
    expect(pullOutcome(output)).toEqual({ layersPulled: 2, layersPresent: 1 });
  });
});
