/**
 * `lh-ci session` and its host end (OpsSession), as real processes: the session here is lh-ci
 * itself on this machine, started exactly as compose starts it in the ops container.
 */
import { describe, expect, it } from "vitest";
import { BoundedLines, ProtocolError, parseAnswer, parseRequest } from "../../src/session/protocol.ts";
import { Executor } from "../../src/stack/executor.ts";
import { OpsSession } from "../../src/stack/ops-session.ts";
import { capturedOutput } from "../stack/support/captured-output.ts";
import { LH_CI_NODE_ARGS } from "../support/run-cli.ts";
import { minimalEnvironment, runProcess } from "../support/run-process.ts";
import { tempDir } from "../support/temp-dir.ts";

const SECRET = "sk_test_session_canary_7d1e";

function openSession(stateDir: string, args = [...LH_CI_NODE_ARGS, "session", "--env", "staging"]) {
  const captured = capturedOutput();
  captured.out.redactor.add(SECRET);
  const exec = new Executor(captured.out, minimalEnvironment({ LH_STATE_DIR: stateDir, STRIPE_SECRET_KEY: SECRET }));
  const command = { program: process.execPath, args };
  return { session: OpsSession.open(exec, command, "the test's ops session"), ...captured };
}

describe("lh-ci session: commands from stdin, answers on stdout", () => {
  it("runs each request in order and answers with its progress lines, exit code and stdout", async () => {
    const state = tempDir("lh-session-");
    const requests = [
      { args: ["lock", "acquire", "--owner", "ci", "--commit", "a".repeat(40), "--env", "staging"] },
      { args: ["lock", "acquire", "--owner", "someone-else", "--commit", "b".repeat(40), "--env", "staging"] },
      { args: ["lock", "release", "--owner", "ci", "--env", "staging"] },
    ];
    const result = await runProcess(process.execPath, [...LH_CI_NODE_ARGS, "session"], {
      env: minimalEnvironment({ LH_STATE_DIR: state }),
      input: requests.map((request) => JSON.stringify(request)).join("\n") + "\n",
    });
    expect(result.code, result.stderr).toBe(0);
    const answers = result.stdout.trim().split("\n").map(parseAnswer);
    const finals = answers.filter((answer) => "code" in answer);
    expect(finals.map((answer) => answer.code)).toEqual([0, 1, 0]);
    expect(
      answers
        .filter((answer) => "err" in answer)
        .map((answer) => answer.err)
        .join("\n"),
    ).toMatch(/held by ci/);
  });

  it("answers a malformed request or a nested session with exit code 2 and goes on", async () => {
    const result = await runProcess(process.execPath, [...LH_CI_NODE_ARGS, "session"], {
      env: minimalEnvironment({ LH_STATE_DIR: tempDir("lh-session-") }),
      input: 'not json\n{"args": "lock status"}\n{"args": ["session"]}\n{"args": ["lock", "status"]}\n',
    });
    expect(result.code).toBe(0);
    const answers = result.stdout.trim().split("\n").map(parseAnswer);
    expect(answers.filter((answer) => "code" in answer).map((answer) => answer.code)).toEqual([2, 2, 2, 0]);
    const errors = answers.filter((answer) => "err" in answer).map((answer) => answer.err);
    expect(errors).toEqual([
      "error: session request is not JSON (8 bytes, not shown)",
      'error: session request needs "args": a non-empty array of strings',
      "error: lh-ci session cannot start another session",
    ]);
  });

  it("never echoes a malformed request, nor a secret of its environment in any answer", async () => {
    const result = await runProcess(process.execPath, [...LH_CI_NODE_ARGS, "session"], {
      env: minimalEnvironment({ LH_STATE_DIR: tempDir("lh-session-"), STRIPE_SECRET_KEY: SECRET }),
      input: [
        `{"args": ["lock", "status", "--owner=${SECRET}"`,
        `[${JSON.stringify(SECRET)}]`,
        JSON.stringify({ args: [`no-such-${SECRET}`] }),
        JSON.stringify({ args: ["lock", "status", `--${SECRET}`] }),
        "",
      ].join("\n"),
    });
    expect(result.code).toBe(0);
    const answers = result.stdout.trim().split("\n").map(parseAnswer);
    expect(answers.filter((answer) => "code" in answer).map((answer) => answer.code)).toEqual([2, 2, 2, 2]);
    expect(result.stdout + result.stderr).not.toContain(SECRET);
    expect(result.stdout).toContain("session request is not JSON (");
    expect(result.stdout).toContain("session request is not a JSON object (");
  });

  it("refuses a request line longer than its bound instead of buffering it", async () => {
    const result = await runProcess(process.execPath, [...LH_CI_NODE_ARGS, "session"], {
      env: minimalEnvironment({ LH_STATE_DIR: tempDir("lh-session-") }),
      input: "x".repeat(200 * 1024),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("lh-ci session: stdin: a line is longer than 65536 bytes");
  });
});

describe("OpsSession: the host's end", () => {
  it("runs commands one after the other in one process, showing progress redacted", async () => {
    const state = tempDir("lh-session-");
    const { session, stderr } = openSession(state);
    try {
      const [first, second] = await Promise.all([
        session.run(["lock", "acquire", "--owner", "ci", "--commit", "c".repeat(40), "--reason", SECRET]),
        session.run(["lock", "status", "--json"], { quietStdout: true }),
      ]);
      expect(first.code).toBe(0);
      expect(second.code).toBe(0);
      expect(JSON.parse(second.stdout)).toMatchObject({ held: true, lock: { owner: "ci", pid: expect.any(Number) } });
      const status = await session.run(["lock", "status", "--json"], { show: "none" });
      // Same process: the pid that took the lock is the pid of every later command.
      expect(JSON.parse(status.stdout).lock.pid).toBe(JSON.parse(second.stdout).lock.pid);
      const refused = await session.run(["lock", "release", "--owner", "someone-else"]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/held by ci/);
    } finally {
      await session.close();
    }
    expect(stderr()).toContain("acquired the staging deploy lock");
    expect(stderr()).not.toContain(SECRET);
    expect(session.ended).toBe("ended with exit code 0");
  });

  it("a session that dies fails the request in flight and every later one, naming the session", async () => {
    // A stand-in for a container killed under the deploy: it reads one request, then exits 137.
    const { session } = openSession(tempDir("lh-session-"), [
      "-e",
      "process.stdin.once('data', () => { console.error('Killed'); process.exit(137); })",
    ]);
    await expect(session.run(["lock", "acquire", "--owner", "ci"])).rejects.toThrow(
      "lh-ci lock acquire (in the test's ops session) ended with exit code 137: Killed",
    );
    await expect(session.run(["lock", "status"])).rejects.toThrow(
      /lh-ci lock status \(in the test's ops session\) ended/,
    );
    expect(session.ended).toBe("ended with exit code 137");
    await session.close();
  });

  it("a session that does not answer in time is stopped, and the request fails saying so", async () => {
    const { session } = openSession(tempDir("lh-session-"), [
      "-e",
      "process.stdin.resume(); setInterval(() => {}, 1000)",
    ]);
    await expect(session.run(["lock", "status"], { timeoutMs: 300 })).rejects.toThrow(
      "lh-ci lock status (in the test's ops session) did not answer within",
    );
    await session.close();
    expect(session.ended).toBe("did not answer within 300ms");
  });

  it("an answer that is not the protocol ends the session instead of being trusted", async () => {
    const { session } = openSession(tempDir("lh-session-"), [
      "-e",
      "process.stdin.once('data', () => console.log('{\"code\": \"0\"}')); setInterval(() => {}, 1000)",
    ]);
    await expect(session.run(["lock", "status"])).rejects.toThrow(/session answer has neither/);
    await session.close();
  });
});

describe("the session protocol's parsers", () => {
  it("bounds lines and checks shapes", () => {
    const lines = new BoundedLines(8, "test");
    expect(lines.push("ab\ncd")).toEqual(["ab"]);
    expect(lines.push("e\n")).toEqual(["cde"]);
    expect(() => lines.push("123456789")).toThrow(ProtocolError);
    expect(() => parseRequest('{"args": []}')).toThrow(/non-empty array/);
    expect(() => parseAnswer('{"code": 1.5, "stdout": ""}')).toThrow(/neither/);
    expect(parseAnswer('{"code": 0, "stdout": "x"}')).toEqual({ code: 0, stdout: "x" });
  });
});
