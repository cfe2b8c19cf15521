import { describe, expect, it } from "vitest";
import { Redactor } from "../src/output/redact.ts";

describe("Redactor", () => {
  it("hides registered values wherever they appear, URL-encoded or not", () => {
    const redactor = new Redactor().add("p@ss word!");
    expect(redactor.redact("value p@ss word! and p%40ss%20word!")).toBe("value *** and ***");
  });

  it("hides the password of any URL, registered or not", () => {
    const redactor = new Redactor();
    expect(redactor.redact("connect postgresql://app:hunter22@db:5432/x failed")).toBe(
      "connect postgresql://app:***@db:5432/x failed",
    );
    expect(redactor.redact("redis://:topsecret@cache:6379")).toBe("redis://:***@cache:6379");
  });

  it("registers secret-named variables and URL passwords of an environment", () => {
    const redactor = new Redactor().addFromEnvironment({
      STRIPE_SECRET_KEY: "sk_test_abcdef",
      OPENAI_API_KEY: "sk-openai-xyz",
      REDIS_PASSWORD: "redispass",
      GITHUB_TOKEN: "ghp_tokenvalue",
      DATABASE_URL: "postgresql://app:db%2Fpass@db/x",
      REDIS_HOST: "redis",
    });
    const text = "sk_test_abcdef sk-openai-xyz redispass ghp_tokenvalue db/pass db%2Fpass redis";
    expect(redactor.redact(text)).toBe("*** *** *** *** *** *** redis");
  });

  it("replaces the longest secret first", () => {
    const redactor = new Redactor().add("abcd").add("abcdefgh");
    expect(redactor.redact("abcdefgh")).toBe("***");
  });

  it("ignores values too short to be secrets", () => {
    expect(new Redactor().add("1").redact("10 11")).toBe("10 11");
  });
});
