import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CommandContext } from "../../src/cli/command.ts";
import { configContext } from "../../src/cli/command.ts";
import { Output } from "../../src/output/output.ts";
import { type DeployReport, formatReport } from "../../src/stack/deploy-flow.ts";
import { markdownReport } from "../../src/stack/report.ts";
import { engineSharesOurFilesystem, stackSettings } from "../../src/stack/settings.ts";
import { runCli } from "../support/run-cli.ts";
import { tempDir } from "../support/temp-dir.ts";

function context(values: CommandContext["values"], processEnv: Record<string, string | undefined> = {}) {
  const cwd = tempDir("lhstack-test-settings-");
  const envFile = join(cwd, "staging.env");
  writeFileSync(envFile, "IMAGE_PREFIX=registry.example/lh\nSTRIPE_SECRET_KEY=sk_test_settingscanary\n");
  const out = new Output();
  const configSource = { envName: "staging", envFile, cwd, processEnv };
  return {
    cwd,
    envFile,
    out,
    context: {
      values,
      positionals: [],
      out,
      cwd,
      processEnv,
      envName: "staging",
      configSource,
      loadConfig: configContext(configSource, out),
      stdin: process.stdin,
    } satisfies CommandContext,
  };
}

describe("stackSettings", () => {
  it("by default: the base compose file here, project lawyers-hub-<env>, prefix from the env file, no copy on a local engine", () => {
    const { context: c, cwd, envFile, out } = context({}, { DOCKER_HOST: "unix:///var/run/docker.sock" });
    const settings = stackSettings(c);
    expect(settings.project).toEqual({
      name: "lawyers-hub-staging",
      files: [join(cwd, "compose/docker-compose.staging.yml")],
      projectDirectory: `${cwd}/compose`,
      envFile,
      imagePrefix: "registry.example/lh",
    });
    expect(settings).toMatchObject({ projectDir: cwd, sync: false });
    expect(out.redactor.redact("sk_test_settingscanary")).toBe("***");
  });

  it("--compose-file adds overrides after the base file; --project-dir elsewhere means the files are copied there", () => {
    const { context: c, cwd } = context({
      "compose-file": ["tests/e2e/compose.e2e.yml"],
      "project-dir": "/srv/lh",
      "image-prefix": "mine",
      "project-name": "lh-e2e",
    });
    const settings = stackSettings(c);
    expect(settings.project.files).toEqual([
      join(cwd, "compose/docker-compose.staging.yml"),
      join(cwd, "tests/e2e/compose.e2e.yml"),
    ]);
    expect(settings).toMatchObject({ projectDir: "/srv/lh", sync: true });
    expect(settings.project).toMatchObject({
      name: "lh-e2e",
      imagePrefix: "mine",
      projectDirectory: "/srv/lh/compose",
    });
  });

  it("a remote engine gets the project files under /var/lib/lawyers-hub/<env> by default", () => {
    const { context: c } = context({}, { DOCKER_HOST: "ssh://deploy@staging.example" });
    expect(stackSettings(c)).toMatchObject({ projectDir: "/var/lib/lawyers-hub/staging", sync: true });
    expect(engineSharesOurFilesystem({ DOCKER_HOST: "tcp://10.0.0.2:2375" })).toBe(false);
    expect(engineSharesOurFilesystem({})).toBe(true);
  });
});

describe("the deploy report", () => {
  const report: DeployReport = {
    ok: false,
    release: "c".repeat(40),
    running: "b".repeat(40),
    rolledBackTo: "b".repeat(40),
    recorded: { commit: "c".repeat(40), result: "rolled-back", startedAt: "t0", finishedAt: "t1" },
    steps: [
      { step: "up", status: "ok", ms: 1200 },
      { step: "verify", status: "failed", ms: 30_000, detail: "api: HTTP 503 | down" },
    ],
    messages: ["ROLLED BACK to bbbb"],
    startedAt: "t0",
    finishedAt: "t1",
  };

  it("as Markdown for a job summary: verdict, one row per step, what runs, the ledger, loud lines", () => {
    const text = markdownReport(report, "deploy to staging");
    expect(text).toContain(`### ❌ deploy to staging failed: ${"c".repeat(40)}`);
    expect(text).toContain("| verify | ❌ failed | 30s | api: HTTP 503 \\| down |");
    expect(text).toContain(`Running now: \`${"b".repeat(40)}\``);
    expect(text).toContain("> **ROLLED BACK to bbbb**");
  });

  it("as a table for the terminal", () => {
    expect(formatReport(report)).toMatch(/^DEPLOY FAILED: release c{40}\n/);
  });
});

describe("lh-ci deploy and stack commands: usage", () => {
  it("deploy without --release, or with a release that is not a commit SHA, is a usage error (exit 2)", async () => {
    const missing = await runCli(["deploy", "--env-file", "/dev/null"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--release: required");
    const bad = await runCli(["deploy", "--release", "feature/x", "--env-file", "/dev/null"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"feature/x" is not a commit SHA (7 to 40 hex digits)');
  });

  it("every stack command has --help", async () => {
    for (const command of [
      "deploy",
      "rollback",
      "stack status",
      "stack logs",
      "stack migrate",
      "stack database-role",
      "stack verify",
      "stack backup",
      "stack restore",
      "stack ops",
      "stack compose",
    ]) {
      const result = await runCli([...command.split(" "), "--help"]);
      expect(result.code, command).toBe(0);
      expect(result.stdout).toContain(`lh-ci ${command}:`);
      expect(result.stdout).toContain("--project-dir DIR");
    }
  });
});
