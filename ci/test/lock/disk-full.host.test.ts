/**
 * The state directory on a full disk, for real: lh-ci runs in a mount namespace of its own
 * (`unshare -m`, as root, which is how CI runs) whose state directory is a small tmpfs filled to
 * the last byte. Nothing outside the namespace sees the mount, and it goes with the process.
 */
import { describe, expect, it } from "vitest";
import { LH_CI_NODE_ARGS } from "../support/run-cli.ts";
import { minimalEnvironment, runProcess } from "../support/run-process.ts";
import { tempDir } from "../support/temp-dir.ts";

/**
 * Mounts a 16-page tmpfs at $1, fills $2 pages of it (all of them when empty), runs the command
 * after them with LH_STATE_DIR=$1/state, then lists that folder.
 */
const ON_A_FULL_DISK = `set -u
mount -t tmpfs -o size=64k lh-full "$1"
mkdir "$1/state"
dd if=/dev/zero of="$1/filler" bs=4096 \${2:+count=$2} 2>/dev/null || true
dir="$1"; shift 2
LH_STATE_DIR="$dir/state" "$@"
echo "exit=$?"
echo "left:"; ls -A "$dir/state"`;

function onAFullDisk(args: string[], filledPages = "") {
  const mountPoint = tempDir("lh-disk-full-");
  const command = [process.execPath, ...LH_CI_NODE_ARGS, ...args];
  const script = ["-m", "sh", "-c", ON_A_FULL_DISK, "sh", mountPoint, filledPages, ...command];
  return runProcess("unshare", script, { env: minimalEnvironment() });
}

describe("a full disk under the state directory", () => {
  it("lock acquire says so, naming the folder and what to do, and leaves no mutex or temporary file", async () => {
    const result = await onAFullDisk(["lock", "acquire", "--owner", "ci", "--commit", "a".repeat(40)]);
    expect(result.code, result.stderr).toBe(0);
    const [status, left = ""] = result.stdout.split("left:\n");
    expect(status).toContain("exit=1");
    expect(result.stderr).toMatch(
      /error: no space left on the device of \S+\/state \(writing deploy\.lock\.mutex\); free space there \(df -h \S+\/state\) and retry/,
    );
    expect(result.stderr).not.toContain("ENOSPC");
    expect(left.trim().split("\n").filter(Boolean)).toEqual([]);
  });

  it("with room for the mutex only, the lock's temporary file fails the same way and is removed", async () => {
    const result = await onAFullDisk(["lock", "acquire", "--owner", "ci", "--commit", "a".repeat(40)], "15");
    const [status, left = ""] = result.stdout.split("left:\n");
    expect(status, result.stderr).toContain("exit=1");
    expect(result.stderr).toMatch(/error: no space left on the device of \S+\/state \(writing deploy\.lock\)/);
    expect(left.trim().split("\n").filter(Boolean)).toEqual([]);
  });
});
