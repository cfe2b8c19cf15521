import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as docker from "../../src/stack/docker.ts";
import { CommandFailed, Executor } from "../../src/stack/executor.ts";
import { tempDir } from "../support/temp-dir.ts";
import { capturedOutput } from "./support/captured-output.ts";
import { BASE_IMAGE, requireEngine } from "./support/engine.ts";

requireEngine([BASE_IMAGE]);

const SECRET = "lhstack-canary-5f0c2a";

function executor(env: Record<string, string | undefined> = process.env) {
  const captured = capturedOutput();
  captured.out.redactor.add(SECRET);
  return { exec: new Executor(captured.out, env), ...captured };
}

/** A container that prints to stdout and stderr, then exits with `code` (the test's own shell, in the container). */
function talk(stdout: string, stderr: string, code = 0) {
  return {
    program: "docker",
    args: ["run", "--rm", BASE_IMAGE, "sh", "-c", `echo "$0"; echo "$1" >&2; exit ${code}`, stdout, stderr],
  };
}

describe("Executor against the real engine", () => {
  it("streams every line of a container's output through the redactor and keeps stdout for the caller", async () => {
    const { exec, stderr } = executor();
    const result = await exec.run(talk(`token=${SECRET}`, "warming up"));
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(`token=${SECRET}`);
    expect(stderr()).toContain("  token=***");
    expect(stderr()).toContain("  warming up");
    expect(stderr()).not.toContain(SECRET);
  });

  it("fails with the command line and the tail of stderr, both redacted", async () => {
    const { exec } = executor();
    const failed = await exec.run(talk("partial", `password ${SECRET} rejected`, 3)).catch((error) => error);
    expect(failed).toBeInstanceOf(CommandFailed);
    expect(failed.code).toBe(3);
    expect(failed.message).toMatch(
      /^docker run --rm lh-e2e\/debian:bookworm-slim sh -c .* exited with 3: password \*\*\* rejected$/,
    );
    expect(failed.message).not.toContain(SECRET);
    expect(failed.stderr).not.toContain(SECRET);
  });

  it("reports what the engine says about a missing image", async () => {
    const { exec } = executor();
    const failed = await exec.run(docker.inspectImages(["lhstack-test-none/api:1"]), { show: "none" }).catch((e) => e);
    expect(failed.message).toContain("docker image inspect --format '{{.Id}}' lhstack-test-none/api:1 exited with 1");
    expect(failed.message).toMatch(/No such image/i);
  });

  it("attempt returns a non-zero exit code as an answer instead of throwing", async () => {
    const { exec } = executor();
    const result = await exec.attempt(talk("", "not there", 1), { show: "none" });
    expect(result).toMatchObject({ code: 1, stderr: "not there\n" });
  });

  it("talks to the engine DOCKER_HOST names, not another one", async () => {
    const { exec } = executor({ PATH: process.env.PATH, DOCKER_HOST: "unix:///nonexistent/lhstack-test.sock" });
    const failed = await exec.run({ program: "docker", args: ["version"] }, { show: "none" }).catch((e) => e);
    expect(failed).toBeInstanceOf(CommandFailed);
    expect(failed.message).toContain("/nonexistent/lhstack-test.sock");
  });

  it("pipes one command into another without a shell (tar into a container)", async () => {
    const source = tempDir("lhstack-test-");
    mkdirSync(join(source, "compose"));
    writeFileSync(join(source, "compose", "a.yml"), "a: 1\n");
    mkdirSync(join(source, "monitoring"));
    writeFileSync(join(source, "monitoring", "b.yml"), "b: 2\n");
    const { exec } = executor();
    const listing = {
      program: "docker",
      args: ["run", "--rm", "--interactive", BASE_IMAGE, "tar", "--list", "--file", "-"],
    };
    const result = await exec.pipe(docker.packProject(source, ["compose", "monitoring"]), listing, { show: "none" });
    expect(result.stdout.split("\n").filter(Boolean).sort()).toEqual([
      "compose/",
      "compose/a.yml",
      "monitoring/",
      "monitoring/b.yml",
    ]);
  });

  it("a producer that fails fails the pipe, naming it", async () => {
    const { exec } = executor();
    const listing = { program: "docker", args: ["run", "--rm", "--interactive", BASE_IMAGE, "cat"] };
    const failed = await exec
      .pipe(docker.packProject("/nonexistent-lhstack-test", ["compose"]), listing, { show: "none" })
      .catch((e) => e);
    expect(failed.message).toMatch(/^tar --directory \/nonexistent-lhstack-test .* exited with 2/);
  });

  it("stops a command that outlives its time bound", async () => {
    const { exec } = executor();
    const failed = await exec.run({ program: "sleep", args: ["5"] }, { timeoutMs: 300 }).catch((e) => e);
    expect(failed.message).toBe("sleep 5 did not finish within 300ms");
  });

  it("says what to install when the program is missing", async () => {
    const { exec } = executor();
    const failed = await exec.run({ program: "lhstack-test-no-such-docker", args: [] }).catch((e) => e);
    expect(failed.message).toContain("was not found on PATH; install the Docker CLI");
  });
});
