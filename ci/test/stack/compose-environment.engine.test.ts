/**
 * lh-ci never hands `docker compose` an empty variable that would beat the env file. Compose
 * prefers a shell variable to --env-file, even an empty one (what CI makes of an undefined
 * secret): proven first with compose itself, then through lh-ci's Executor, with the real
 * `docker compose config` (the CLI and its compose plugin; the project is only resolved).
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Executor } from "../../src/stack/executor.ts";
import { tempDir } from "../support/temp-dir.ts";
import { capturedOutput } from "./support/captured-output.ts";
import { BASE_IMAGE, requireEngine } from "./support/engine.ts";

requireEngine();

const FILE_URL = "postgresql://app:from-the-env-file@postgres:5432/lawyers_hub_staging";
const FILE_KEY = "sk-from-the-env-file";

function project(): string[] {
  const dir = tempDir("lh-compose-env-");
  writeFileSync(
    join(dir, "compose.yml"),
    `services:\n  app:\n    image: ${BASE_IMAGE}\n    environment:\n      DATABASE_URL: \${DATABASE_URL:?DATABASE_URL is required}\n      OPENAI_API_KEY: \${OPENAI_API_KEY:-}\n`,
  );
  writeFileSync(join(dir, ".env.staging"), `DATABASE_URL=${FILE_URL}\nOPENAI_API_KEY=${FILE_KEY}\n`);
  return [
    "compose",
    "--file",
    join(dir, "compose.yml"),
    "--env-file",
    join(dir, ".env.staging"),
    "config",
    "--format",
    "json",
  ];
}

const EMPTY = { DATABASE_URL: "", OPENAI_API_KEY: "" };

function appEnvironment(stdout: string): Record<string, string> {
  return (JSON.parse(stdout) as { services: { app: { environment: Record<string, string> } } }).services.app
    .environment;
}

describe("compose and empty variables", () => {
  it("compose itself lets an empty shell variable beat the env file (why lh-ci drops them)", () => {
    const raw = spawnSync("docker", project(), { env: { ...process.env, ...EMPTY }, encoding: "utf8" });
    expect(raw.status).not.toBe(0);
    expect(raw.stderr).toContain("DATABASE_URL is required");
  });

  it("through lh-ci's Executor, an empty DATABASE_URL or OPENAI_API_KEY does not blank the env file's value", async () => {
    const { out } = capturedOutput();
    const exec = new Executor(out, { ...process.env, ...EMPTY });
    const result = await exec.run({ program: "docker", args: project() });
    expect(appEnvironment(result.stdout)).toEqual({ DATABASE_URL: FILE_URL, OPENAI_API_KEY: FILE_KEY });
  });

  it("a variable with a value still wins over the file, as compose intends", async () => {
    const { out } = capturedOutput();
    const exec = new Executor(out, { ...process.env, OPENAI_API_KEY: "sk-given-one-by-one" });
    const result = await exec.run({ program: "docker", args: project() });
    expect(appEnvironment(result.stdout).OPENAI_API_KEY).toBe("sk-given-one-by-one");
  });
});
