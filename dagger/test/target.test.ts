import { describe, expect, it } from "vitest";
import { deployHeadline, describeTarget, dindArgs, sshConfig, targetKind } from "../src/target.ts";

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

describe("the built-in engine (docker:dind)", () => {
  it("starts with dockerd, so that the image's entrypoint adds no second tcp listener", () => {
    const args = dindArgs();
    expect(args[0]).toBe("dockerd");
    const hosts = args.filter((arg) => arg.startsWith("--host="));
    expect(hosts).toEqual(["--host=unix:///var/run/docker.sock", "--host=tcp://0.0.0.0:2375"]);
    expect(new Set(hosts).size).toBe(hosts.length);
    expect(args).toContain("--tls=false");
  });

  it("a deploy there says in its headline that it was a rehearsal and the environment was not touched", () => {
    const line = deployHeadline({}, "staging", "0123abc");
    expect(line).toMatch(/^REHEARSAL: /);
    expect(line).toContain("ephemeral Docker engine inside Dagger");
    expect(line).toContain("staging was not touched");
    expect(line).not.toContain("\n");
    const real = deployHeadline({ dockerHost: "ssh://deploy@staging.example" }, "staging", "0123abc");
    expect(real).toBe("deploy of 0123abc to staging on the Docker engine at ssh://deploy@staging.example");
  });
});
