import { describe, expect, it } from "vitest";
import { childEnvironment } from "../../src/stack/executor.ts";

// The real compose behaviour behind this is proven in compose-environment.engine.test.ts.
describe("the environment lh-ci hands its commands (docker, compose)", () => {
  it("keeps what has a value and drops empty and undefined variables", () => {
    expect(childEnvironment({ A: "1", B: "", C: undefined, D: " " })).toEqual({ A: "1", D: " " });
  });
});
