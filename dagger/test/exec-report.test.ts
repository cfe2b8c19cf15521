import { describe, expect, it } from "vitest";
import { everyLhCiInvocation } from "../src/commands.ts";
import { failureMessage, MAX_CHARS, MAX_LINES, tail } from "../src/exec-report.ts";

const deploy = everyLhCiInvocation().deploy;

describe("failureMessage: what a failed lh-ci call reports instead of Dagger's bare 'exit code N'", () => {
  it("names the command, the exit code and its meaning, then stderr and stdout", () => {
    const message = failureMessage(deploy, {
      exitCode: 1,
      stdout: "step    outcome\nverify  failed\n",
      stderr: "verify: api /ready answered 503 after 120s\n",
    });
    expect(message.split("\n")[0]).toBe("lh-ci deploy failed (exit 1: the operation failed)");
    expect(message).toContain("--- its stderr ---\nverify: api /ready answered 503 after 120s");
    expect(message).toContain("--- its stdout ---\nstep    outcome\nverify  failed");
  });

  it("says that a usage or configuration error changed nothing, and names multi-word commands", () => {
    const message = failureMessage(everyLhCiInvocation().lockStatus, { exitCode: 2, stdout: "", stderr: "bad --env" });
    expect(message).toMatch(
      /^lh-ci stack ops -- lock status failed \(exit 2: usage or configuration error: nothing was changed\)/,
    );
    expect(message).not.toContain("its stdout");
  });

  it("says so when the command printed nothing, and when the exit code is not one of lh-ci's", () => {
    const message = failureMessage(["stack", "status"], { exitCode: 137, stdout: "", stderr: " \n" });
    expect(message).toBe("lh-ci stack status failed (exit 137: unexpected exit code)\n(it printed nothing)");
  });
});

describe("tail: the end of a stream, bounded", () => {
  it("keeps short output whole", () => {
    expect(tail("one\ntwo\n")).toBe("one\ntwo");
  });

  it("keeps the last MAX_LINES lines and says how much was left out", () => {
    const lines = Array.from({ length: MAX_LINES + 20 }, (_, i) => `line ${i}`);
    const kept = tail(lines.join("\n"));
    expect(kept.split("\n")).toHaveLength(MAX_LINES + 1);
    expect(kept).toMatch(/^\[\.\.\. \d+ earlier characters left out\]\nline 20\n/);
    expect(kept.endsWith(`line ${MAX_LINES + 19}`)).toBe(true);
  });

  it("bounds one enormous line by MAX_CHARS", () => {
    const kept = tail(`${"x".repeat(MAX_CHARS * 3)}END`);
    expect(kept.length).toBeLessThan(MAX_CHARS + 100);
    expect(kept.endsWith("END")).toBe(true);
  });
});
