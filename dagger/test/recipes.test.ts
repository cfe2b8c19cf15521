/**
 * The recipes (the containers of the checks and the deployer, as data) agree with what they
 * point at: the test container's service variables are the ones the tests read, the commands are
 * the npm scripts that exist, and the deployer's secret file is its user's, read-only.
 */
import { describe, expect, it } from "vitest";
import { TEST_SERVICE_VARIABLES } from "../../ci/test/support/service-addresses.ts";
import { ENV_FILE_PATH, npm } from "../src/commands.ts";
import { NODE_IMAGE } from "../src/images-ref.ts";
import { checkRecipes, DEPLOYER, OVERRIDE_VARIABLES, TEST_SERVICE_ENV, TEST_SERVICES } from "../src/recipes.ts";

describe("the check recipes", () => {
  const recipes = checkRecipes();

  it("run the npm scripts of lint, typecheck and test:vitest on the module's Node image", () => {
    expect(recipes.lint.command).toEqual(npm.lint);
    expect(recipes.typecheck.command).toEqual(npm.typecheck);
    expect(recipes.test.command).toEqual(["npm", "run", "test:vitest"]);
    for (const recipe of Object.values(recipes)) expect(recipe.image).toBe(NODE_IMAGE);
    expect(checkRecipes("mirror.example/node:24").test.image).toBe("mirror.example/node:24");
  });

  it("install from the manifests before the source arrives", () => {
    for (const recipe of Object.values(recipes)) {
      const kinds = recipe.setup.map((step) => step.kind);
      expect(kinds.indexOf("manifests")).toBeLessThan(kinds.indexOf("source"));
      expect(recipe.setup).toContainEqual({ kind: "exec", args: npm.install });
    }
  });

  it("the test container points the tests at its services by the variables the tests read", () => {
    expect(Object.keys(TEST_SERVICE_ENV).sort()).toEqual([...TEST_SERVICE_VARIABLES].sort());
    const aliases = TEST_SERVICES.map((service) => service.alias);
    expect(new URL(TEST_SERVICE_ENV.TEST_POSTGRES_URL).hostname).toBe("postgres");
    expect(aliases).toEqual(["postgres", "redis"]);
    expect(TEST_SERVICE_ENV.TEST_REDIS_HOST).toBe("redis");
    expect(recipes.test.env).toMatchObject(TEST_SERVICE_ENV);
    expect(recipes.test.services.find((s) => s.alias === "postgres")?.env).toEqual({
      POSTGRES_HOST_AUTH_METHOD: "trust",
    });
    expect(recipes.lint.services).toEqual([]);
  });

  it("take extra CA certificates as an optional root-readable secret file that Node trusts", () => {
    for (const recipe of Object.values(recipes)) {
      expect(recipe.optionalSecretFiles).toEqual([
        { input: "extraCa", path: "/run/secrets/extra_ca", owner: "root", mode: 0o400 },
      ]);
      expect(recipe.optionalEnv.NODE_EXTRA_CA_CERTS).toEqual({ input: "extraCa", value: "/run/secrets/extra_ca" });
    }
  });
});

describe("the deployer recipe", () => {
  it("mounts the env file for its user, read-only to it, and takes the overrides as variables", () => {
    expect(DEPLOYER.envFile).toEqual({ input: "envFile", path: ENV_FILE_PATH, owner: "node", mode: 0o400 });
    expect(DEPLOYER.user).toBe("node");
    expect(DEPLOYER.secretVariables).toEqual(OVERRIDE_VARIABLES);
    expect(DEPLOYER.socket).toEqual({
      path: "/var/run/docker.sock",
      owner: "node",
      dockerHost: "unix:///var/run/docker.sock",
    });
  });
});
