/**
 * `lh-ci env check` must refuse every configuration the compose file would refuse, so that a
 * missing variable stops a deploy before anything is built. The required set is read from the
 * compose file itself (`${NAME:?...}`, `${NAME?...}`, secrets taken from the environment), so a
 * variable the stack starts requiring fails this test until env check validates it too.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../ci/test/support/run-cli.ts";
import { stackValues } from "../../ci/test/support/stack-values.ts";
import { tempDir } from "../../ci/test/support/temp-dir.ts";
import { interpolate, loadCompose, readComposeText } from "./support/compose-file.ts";

/** Set by the deploy itself (the commit being deployed), never by the environment file. */
const SET_BY_THE_DEPLOY = new Set(["RELEASE"]);

function requiredByCompose(): string[] {
  const names = new Set<string>();
  for (const match of readComposeText().matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*):?\?/g)) names.add(match[1] ?? "");
  for (const secret of Object.values(loadCompose().secrets ?? {}))
    if (secret.environment) names.add(secret.environment);
  return [...names].filter((name) => !SET_BY_THE_DEPLOY.has(name)).sort();
}

const PASSWORD = "stack-pa55word-canary";
const VALID: Record<string, string> = {
  DATABASE_URL: `postgresql://lawyers_hub:${PASSWORD}@postgres:5432/lawyers_hub_staging`,
  REDIS_HOST: "redis",
  CLERK_SECRET_KEY: "sk_test_clerkcanary",
  STRIPE_SECRET_KEY: "sk_test_stripecanary",
  ...stackValues(PASSWORD),
};
const SECRETS = [
  PASSWORD,
  VALID.CLERK_SECRET_KEY,
  VALID.STRIPE_SECRET_KEY,
  VALID.GRAFANA_ADMIN_PASSWORD,
  VALID.ALERTMANAGER_CRITICAL_WEBHOOK_URL,
  VALID.ALERTMANAGER_WARNING_WEBHOOK_URL,
] as string[];
const dir = tempDir("lh-stack-env-");

async function envCheck(name: string, values: Record<string, string>) {
  const file = join(dir, name);
  writeFileSync(
    file,
    Object.entries(values)
      .map(([key, value]) => `${key}=${value}\n`)
      .join(""),
  );
  return await runCli(["env", "check", "--env-file", file]);
}

describe("env check and the compose file's required variables", () => {
  const required = requiredByCompose();

  it("finds what the compose file requires (the set this test guards)", () => {
    expect(required).toEqual(
      expect.arrayContaining([
        "DATABASE_URL",
        "POSTGRES_USER",
        "GRAFANA_ADMIN_PASSWORD",
        "ALERTMANAGER_WARNING_WEBHOOK_URL",
      ]),
    );
  });

  it("accepts a configuration with which the whole compose file interpolates", async () => {
    expect(() => interpolateAll({ ...VALID, RELEASE: "0".repeat(40) })).not.toThrow();
    const result = await envCheck("valid", VALID);
    expect(result.code, result.stderr).toBe(0);
  });

  for (const variable of requiredByCompose()) {
    it(`refuses a configuration without ${variable}, naming it, as compose would`, async () => {
      const { [variable]: _left, ...rest } = VALID;
      expect(() => interpolateAll({ ...rest, RELEASE: "0".repeat(40) })).toThrow(variable);
      const result = await envCheck(`without-${variable}`, rest);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`^error: ${variable}: is not set; `, "m"));
      for (const secret of SECRETS) expect(result.stdout + result.stderr).not.toContain(secret);
    });
  }
});

/** Compose's interpolation of the file, and its check that each environment secret is set. */
function interpolateAll(env: Record<string, string>): void {
  interpolate(readComposeText(), env);
  for (const secret of Object.values(loadCompose().secrets ?? {})) {
    if (secret.environment && !env[secret.environment]) {
      throw new Error(`secret from environment variable ${secret.environment} is not set`);
    }
  }
}
