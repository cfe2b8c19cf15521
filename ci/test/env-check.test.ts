import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli } from "./support/run-cli.ts";
import { stackValues } from "./support/stack-values.ts";
import { tempDir } from "./support/temp-dir.ts";

const EXAMPLE = fileURLToPath(new URL("../../.env.staging.example", import.meta.url));

const DB_PASSWORD = "s3cr3t-db-pa55word";
const STRIPE_LIVE = "sk_live_51HxQzLiveStripeSecretValue";
const CLERK_LIVE = "sk_live_ClerkLiveSecretValue123";
const VALID: Record<string, string> = {
  DATABASE_URL: `postgresql://lawyers_hub:${DB_PASSWORD}@postgres:5432/lawyers_hub_staging`,
  REDIS_HOST: "redis",
  CLERK_SECRET_KEY: "sk_test_clerkTestValue999",
  STRIPE_SECRET_KEY: "sk_test_stripeTestValue999",
  OPENAI_API_KEY: "sk-openaiValue999",
  ...stackValues(DB_PASSWORD),
};
const SECRETS = [
  DB_PASSWORD,
  STRIPE_LIVE,
  CLERK_LIVE,
  VALID.CLERK_SECRET_KEY,
  VALID.STRIPE_SECRET_KEY,
  VALID.OPENAI_API_KEY,
  VALID.GRAFANA_ADMIN_PASSWORD,
  VALID.ALERTMANAGER_CRITICAL_WEBHOOK_URL,
];
/** The example's placeholders: each refused, by name, never quoted. */
const EXAMPLE_PLACEHOLDERS = [
  "DATABASE_URL",
  "POSTGRES_PASSWORD",
  "GRAFANA_ADMIN_PASSWORD",
  "CLERK_SECRET_KEY",
  "STRIPE_SECRET_KEY",
  "ALERTMANAGER_CRITICAL_WEBHOOK_URL",
  "ALERTMANAGER_WARNING_WEBHOOK_URL",
];

function envFile(dir: string, name: string, vars: Record<string, string>, text?: string): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    text ??
      Object.entries(vars)
        .map(([key, value]) => `${key}=${value}`)
        .join("\n"),
  );
  return path;
}

function expectNoSecret(output: string): void {
  for (const secret of SECRETS) expect(output).not.toContain(secret);
}

describe("lh-ci env check", () => {
  const dir = tempDir();

  it("refuses the committed example copied unchanged, naming each placeholder and never its value", async () => {
    const result = await runCli(["env", "check", "--env-file", EXAMPLE]);
    expect(result.code).toBe(2);
    const named = result.stderr
      .split("\n")
      .filter((line) => line.includes("placeholder"))
      .map((line) => line.split(":")[1]?.trim());
    expect(named.sort()).toEqual([...EXAMPLE_PLACEHOLDERS].sort());
    expect(result.stderr).not.toMatch(/change-me|REPLACE|replace_with/);
    expect(result.stdout).not.toContain("configuration is valid");
  });

  it("accepts the example once its placeholders are filled in, warning that AI features are disabled", async () => {
    const filled = readFileSync(EXAMPLE, "utf8")
      .replace(/change-me(-too)?/g, "Filled1n-by-the-0perator")
      .replace(/sk_test_replace_with_/g, "sk_test_filled_")
      .replace(/REPLACE\/(CRITICAL|WARNING)\/HOOK/g, "T0000/B0000/filledhook");
    const result = await runCli(["env", "check", "--env-file", envFile(dir, "example-filled", {}, filled)]);
    expect(result.stderr).not.toContain("error:");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("staging: configuration is valid");
    expect(result.stderr).toContain("warning: OPENAI_API_KEY: is not set; AI features are disabled");
  });

  it("refuses a placeholder however it is written, in any secret", async () => {
    for (const [variable, value] of [
      ["GRAFANA_ADMIN_PASSWORD", "ChangeMe"],
      ["OPENAI_API_KEY", "sk-replace-me"],
      ["BACKUP_SIGNING_KEY", "change_me_change_me_change_me_change_me"],
      ["REDIS_PASSWORD", "changeme"],
    ] as const) {
      const result = await runCli([
        "env",
        "check",
        "--env-file",
        envFile(dir, `placeholder-${variable}`, { ...VALID, [variable]: value }),
      ]);
      expect(result.code, variable).toBe(2);
      expect(result.stderr).toContain(`error: ${variable}: is still the placeholder of .env.staging.example`);
      expect(result.stderr).not.toContain(value);
    }
  });

  it("reads .env.<env> from the current directory by default", async () => {
    envFile(dir, ".env.staging", VALID);
    const result = await runCli(["env", "check"], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(join(dir, ".env.staging"));
  });

  for (const variable of ["DATABASE_URL", "REDIS_HOST", "CLERK_SECRET_KEY", "STRIPE_SECRET_KEY"]) {
    it(`names ${variable} when it is missing, with exit 2`, async () => {
      const { [variable]: _missing, ...rest } = VALID;
      const result = await runCli(["env", "check", "--env-file", envFile(dir, `missing-${variable}`, rest)]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`^error: ${variable}: is not set; `, "m"));
      expectNoSecret(result.stdout + result.stderr);
    });
  }

  const malformed: Array<[string, string, RegExp]> = [
    [
      "DATABASE_URL",
      `mysql://root:${DB_PASSWORD}@db/app`,
      /DATABASE_URL: must start with postgres:\/\/ or postgresql:\/\//,
    ],
    ["DATABASE_URL", `not a url ${DB_PASSWORD}`, /DATABASE_URL: is not a valid URL/],
    ["DATABASE_URL", `postgresql://u:${DB_PASSWORD}@db:5432`, /DATABASE_URL: names no database/],
    ["REDIS_HOST", "redis://redis:6379", /REDIS_HOST: is not a host name/],
    ["REDIS_PORT", "seventy", /REDIS_PORT: is not a number/],
    ["REDIS_PORT", "70000", /REDIS_PORT: is out of range/],
    ["CLERK_SECRET_KEY", "pk_test_publishable", /CLERK_SECRET_KEY: does not look like a Clerk secret key/],
    ["STRIPE_SECRET_KEY", "pk_test_publishable", /STRIPE_SECRET_KEY: does not look like a Stripe secret key/],
    ["API_URL", "ftp://api", /API_URL: is not an http:\/\/ or https:\/\/ URL/],
    ["WEB_URL", "web:3000", /WEB_URL: is not an http:\/\/ or https:\/\/ URL/],
  ];
  for (const [variable, value, message] of malformed) {
    it(`names ${variable} when it is malformed (${message.source.slice(0, 40)})`, async () => {
      const file = envFile(dir, `bad-${variable}`, { ...VALID, [variable]: value });
      const result = await runCli(["env", "check", "--env-file", file]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toContain(value);
      expectNoSecret(result.stdout + result.stderr);
    });
  }

  it("reports every problem on its own line", async () => {
    const file = envFile(dir, "many-problems", { REDIS_PORT: "0" });
    const result = await runCli(["env", "check", "--env-file", file]);
    expect(result.code).toBe(2);
    const lines = result.stderr.split("\n").filter((line) => line.startsWith("error: "));
    expect(lines.map((line) => line.split(":")[1]?.trim())).toEqual(
      expect.arrayContaining(["DATABASE_URL", "REDIS_HOST", "REDIS_PORT", "CLERK_SECRET_KEY", "STRIPE_SECRET_KEY"]),
    );
  });

  it("refuses a live Stripe key in staging without printing it", async () => {
    for (const key of [STRIPE_LIVE, "rk_live_RestrictedLiveKey123"]) {
      const file = envFile(dir, "live-stripe", { ...VALID, STRIPE_SECRET_KEY: key });
      const result = await runCli(["env", "check", "--env-file", file]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("STRIPE_SECRET_KEY: is a live Stripe key, refused in staging");
      expect(result.stdout + result.stderr).not.toContain(key);
      expectNoSecret(result.stdout + result.stderr);
    }
  });

  it("refuses a live Clerk key in staging without printing it", async () => {
    const file = envFile(dir, "live-clerk", { ...VALID, CLERK_SECRET_KEY: CLERK_LIVE });
    const result = await runCli(["env", "check", "--env-file", file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("CLERK_SECRET_KEY: is a live Clerk key, refused in staging");
    expectNoSecret(result.stdout + result.stderr);
  });

  it("accepts live keys for --env production", async () => {
    const file = envFile(dir, "production", { ...VALID, STRIPE_SECRET_KEY: STRIPE_LIVE, CLERK_SECRET_KEY: CLERK_LIVE });
    const result = await runCli(["env", "check", "--env", "production", "--env-file", file]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("production: configuration is valid");
    expectNoSecret(result.stdout + result.stderr);
  });

  it("refuses a production database in staging", async () => {
    const file = envFile(dir, "prod-db", {
      ...VALID,
      DATABASE_URL: `postgresql://u:${DB_PASSWORD}@db.internal:5432/lawyers_hub_production`,
    });
    const result = await runCli(["env", "check", "--env-file", file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("DATABASE_URL: points at a production database");
    expectNoSecret(result.stdout + result.stderr);
  });

  it("refuses a DATABASE_URL that connects as POSTGRES_USER, the superuser, naming both and what to do", async () => {
    const file = envFile(dir, "pg-superuser", {
      ...VALID,
      POSTGRES_USER: "lawyers_hub",
      POSTGRES_PASSWORD: DB_PASSWORD,
      POSTGRES_DB: "lawyers_hub_staging",
    });
    const result = await runCli(["env", "check", "--env-file", file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "DATABASE_URL: connects as POSTGRES_USER (lawyers_hub), the database superuser; give DATABASE_URL an application user of its own",
    );
    expectNoSecret(result.stdout + result.stderr);

    const otherDatabase = envFile(dir, "pg-other-db", { ...VALID, POSTGRES_DB: "another_db" });
    const mismatch = await runCli(["env", "check", "--env-file", otherDatabase]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toContain(
      "DATABASE_URL: names the database lawyers_hub_staging, but POSTGRES_DB is another_db; make them agree",
    );

    // A separate application user (the default of these tests' values), any password: accepted.
    const separate = envFile(dir, "pg-separate", { ...VALID, POSTGRES_PASSWORD: "other-pass-99" });
    const accepted = await runCli(["env", "check", "--env-file", separate]);
    expect(accepted.stderr).not.toContain("other-pass-99");
    expect(accepted.code).toBe(0);
  });

  it("lets the process environment win over the file (how CI injects secrets)", async () => {
    const file = envFile(dir, "override", { ...VALID, STRIPE_SECRET_KEY: STRIPE_LIVE });
    const fixed = await runCli(["env", "check", "--env-file", file], {
      env: { STRIPE_SECRET_KEY: "sk_test_fromTheEnvironment1" },
    });
    expect(fixed.code).toBe(0);

    const broken = await runCli(["env", "check", "--env-file", envFile(dir, "override-ok", VALID)], {
      env: { DATABASE_URL: `mysql://root:${DB_PASSWORD}@elsewhere/db` },
    });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain("DATABASE_URL: must start with postgres://");
    expectNoSecret(broken.stdout + broken.stderr);
  });

  it("does not let an empty process variable blank out the file's value", async () => {
    const result = await runCli(["env", "check", "--env-file", envFile(dir, "empty-env", VALID)], {
      env: { STRIPE_SECRET_KEY: "" },
    });
    expect(result.code).toBe(0);
  });

  it("works from the process environment alone when there is no .env file", async () => {
    const result = await runCli(["env", "check"], { cwd: join(dir, ".."), env: VALID });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("read from the process environment only");
  });

  it("reports a missing --env-file with exit 2", async () => {
    const result = await runCli(["env", "check", "--env-file", join(dir, "nope")]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--env-file:");
    expect(result.stderr).toContain("does not exist");
  });

  it("refuses a FIFO, a directory or a device as the env file at once instead of hanging (exit 2)", async () => {
    const fifo = join(dir, "env-fifo");
    execFileSync("mkfifo", [fifo]);
    for (const path of [fifo, dir, "/dev/zero"]) {
      const started = Date.now();
      const result = await runCli(["env", "check", "--env-file", path], { timeoutMs: 10_000 });
      expect(result.code, path).toBe(2);
      expect(result.stderr).toContain(
        `error: --env-file: ${path} is not a regular file; pass the path of a regular environment file`,
      );
      expect(Date.now() - started).toBeLessThan(5000);
    }
    // .env.<env> as a FIFO in the current directory: named too.
    const cwd = tempDir("lh-env-fifo-");
    execFileSync("mkfifo", [join(cwd, ".env.staging")]);
    const fallback = await runCli(["env", "check"], { cwd, timeoutMs: 10_000 });
    expect(fallback.code).toBe(2);
    expect(fallback.stderr).toContain(`${join(cwd, ".env.staging")} is not a regular file`);
  });

  it("prints JSON with --json, secrets redacted", async () => {
    const file = envFile(dir, "json", { ...VALID, STRIPE_SECRET_KEY: STRIPE_LIVE });
    const result = await runCli(["env", "check", "--json", "--env-file", file]);
    expect(result.code).toBe(2);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ env: "staging", valid: false });
    expect(report.problems[0].variable).toBe("STRIPE_SECRET_KEY");
    expectNoSecret(result.stdout + result.stderr);
  });

  it("refuses a malformed --env name", async () => {
    const result = await runCli(["env", "check", "--env", "../etc"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--env: must be a lower-case name");
  });
});

describe("lh-ci usage", () => {
  it("--help lists the commands and exits 0", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("env check");
  });

  it("env check --help exits 0 with its usage", async () => {
    const result = await runCli(["env", "check", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage: lh-ci env check");
  });

  it("an unknown command or option exits 2 with a pointer to --help", async () => {
    const unknown = await runCli(["launch", "rockets"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "launch rockets"');
    const option = await runCli(["env", "check", "--colour"]);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("--colour");
    expect(option.stderr).toContain("lh-ci env check --help");
  });
});
