import { describe, expect, it } from "vitest";
import { describeTarget, sshConfig, targetKind } from "../src/target.ts";

describe("the target", () => {
  it("is the socket when given, else the SSH host, else the ephemeral engine", () => {
    const socket = {} as never;
    expect(targetKind({ dockerSocket: socket, dockerHost: "ssh://deploy@staging.example" })).toBe("socket");
    expect(targetKind({ dockerHost: "ssh://deploy@staging.example" })).toBe("ssh");
    expect(targetKind({})).toBe("ephemeral");
    expect(describeTarget({ dockerHost: "ssh://deploy@staging.example" })).toBe(
      "the Docker engine at ssh://deploy@staging.example",
    );
  });

  it("SSH: the deploy key only, host keys checked strictly against the given known_hosts", () => {
    const config = sshConfig(true);
    expect(config).toMatch(/^Host \*\n/);
    expect(config).toContain("  IdentityFile /run/lawyers-hub/ssh/id_deploy\n  IdentitiesOnly yes\n");
    expect(config).toContain("  StrictHostKeyChecking yes\n  UserKnownHostsFile /run/lawyers-hub/ssh/known_hosts\n");
    expect(config).not.toContain("accept-new");
  });

  it("SSH without known hosts: a new host's key is accepted once, a changed one is still refused", () => {
    const config = sshConfig(false);
    expect(config).toContain("  StrictHostKeyChecking accept-new\n");
    expect(config).not.toContain("UserKnownHostsFile");
  });
});
