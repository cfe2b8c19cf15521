/**
 * `lh-ci stack compose -- ...` for real, on the real compose file, with a command that needs no
 * engine (`config`): DOCKER_HOST names a socket that does not exist, so nothing can reach one.
 * What it shows: the files, project and env file are lh-ci's, RELEASE and IMAGE_PREFIX are set as
 * a deploy sets them, and the output goes through the redactor. In the engine tier: it needs the
 * Docker CLI with its compose plugin, which the check containers lack.
 */
import { copyFileSync, cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/run-cli.ts";
import { stackValues } from "../support/stack-values.ts";
import { tempDir } from "../support/temp-dir.ts";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const RELEASE = "0123456789abcdef0123456789abcdef01234567";
const PASSWORD = "compose-pa55word-canary";
const envFile = join(tempDir("lh-stack-compose-"), ".env.staging");
writeFileSync(
  envFile,
  Object.entries({
    DATABASE_URL: `postgresql://lawyers_hub:${PASSWORD}@postgres:5432/lawyers_hub_staging`,
    CLERK_SECRET_KEY: "sk_test_composecanaryclerk",
    STRIPE_SECRET_KEY: "sk_test_composecanarystripe",
    ...stackValues(PASSWORD),
  })
    .map(([name, value]) => `${name}=${value}\n`)
    .join(""),
);
const NO_ENGINE = { DOCKER_HOST: "unix:///nonexistent/docker.sock" };

function stackCompose(args: string[]) {
  return runCli(["stack", "compose", "--env-file", envFile, ...args], { cwd: REPO_ROOT, env: NO_ENGINE });
}

/** compose/README.md shows this command; it runs here as written, in a checkout with a .env.staging. */
const DOCUMENTED =
  "npx -- lh-ci stack compose --env-file .env.staging --release 0123456789abcdef0123456789abcdef01234567 -- config --images";

describe("lh-ci stack compose", () => {
  it("runs as compose/README.md shows it, in a checkout with its .env.staging", async () => {
    const checkout = tempDir("lh-stack-compose-checkout-");
    for (const folder of ["compose", "monitoring"])
      cpSync(join(REPO_ROOT, folder), join(checkout, folder), { recursive: true });
    copyFileSync(envFile, join(checkout, ".env.staging"));
    const result = await runCli(DOCUMENTED.split(" ").slice(3), { cwd: checkout, env: NO_ENGINE });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`lawyers-hub/api:${RELEASE}`);
  });

  it("runs the compose command with RELEASE and the image prefix set, as a deploy does", async () => {
    const result = await stackCompose([
      "--release",
      RELEASE,
      "--image-prefix",
      "registry.example/lh",
      "--",
      "config",
      "--images",
    ]);
    expect(result.code, result.stderr).toBe(0);
    const images = result.stdout.trim().split("\n");
    for (const service of ["api", "web", "ai-gateway", "worker", "ops"]) {
      expect(images).toContain(`registry.example/lh/${service}:${RELEASE}`);
    }
    expect(result.stderr).toContain(`docker compose config on lawyers-hub-staging, release ${RELEASE}...`);
    expect(result.stderr).toContain("docker compose config exited with 0.");
  });

  it("prints what compose prints through the redactor: no secret of the env file", async () => {
    const result = await stackCompose(["--release", RELEASE, "--", "config"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("POSTGRES_PASSWORD: ***");
    for (const secret of [PASSWORD, "sk_test_composecanaryclerk", "sk_test_composecanarystripe"]) {
      expect(result.stdout + result.stderr).not.toContain(secret);
    }
  });

  it("returns compose's failure, and refuses options of its own before the compose command (exit 2)", async () => {
    const failed = await stackCompose(["--release", RELEASE, "--", "config", "--no-such-flag"]);
    expect(failed.code).not.toBe(0);
    const option = await stackCompose(["--release", RELEASE, "--", "-p", "other", "ps"]);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain(
      "stack compose: start with the compose command (ps, logs, run, exec, up...), not -p",
    );
  });
});
