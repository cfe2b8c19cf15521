import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { docker } from "./docker.ts";
import { waitFor } from "./http.ts";

/** The registry stand-in (Debian's docker-registry), built by tests/e2e/provision.sh. */
export const REGISTRY_IMAGE = "lh-e2e/registry:2";

/**
 * A registry stand-in on the engine with htpasswd authentication, published on 127.0.0.1 (which
 * the engine trusts over plain HTTP). Its password is random per run: a canary for the output.
 */
export class E2ERegistry {
  readonly name = `lhstack-e2e-registry-${randomBytes(4).toString("hex")}`;
  readonly username = "lh-e2e-ci";
  readonly password = `reg-canary-${randomBytes(12).toString("hex")}`;
  readonly #dir = mkdtempSync(join(tmpdir(), "lhstack-e2e-registry-"));
  host = "";

  /** A throwaway Docker client configuration for the test's own pushes. */
  get clientConfig(): string {
    return join(this.#dir, "client");
  }

  async start(): Promise<void> {
    // htpasswd -B (bcrypt, all the registry accepts) from the stand-in itself, password on stdin.
    const hashed = await docker(
      ["run", "--rm", "-i", "--entrypoint", "htpasswd", REGISTRY_IMAGE, "-niB", this.username],
      {
        input: this.password,
      },
    );
    const htpasswd = join(this.#dir, "htpasswd");
    writeFileSync(htpasswd, hashed.stdout, { mode: 0o644 });
    await docker([
      "run",
      "--detach",
      "--name",
      this.name,
      "--publish",
      "127.0.0.1::5000",
      "--volume",
      `${htpasswd}:/etc/docker/registry/htpasswd:ro`,
      REGISTRY_IMAGE,
    ]);
    const port = (await docker(["port", this.name, "5000/tcp"])).stdout.trim().split(":").at(-1);
    this.host = `127.0.0.1:${port}`;
    // Up when /v2/ answers, and authentication is on when it answers 401 without credentials.
    await waitFor(
      "the registry stand-in to answer",
      async () => {
        const status = await fetch(`http://${this.host}/v2/`).then(
          (response) => response.status,
          () => 0,
        );
        return status === 401 ? true : undefined;
      },
      30_000,
    );
    const login = await docker(
      ["--config", this.clientConfig, "login", "--username", this.username, "--password-stdin", this.host],
      { input: this.password },
    );
    if (login.code !== 0) throw new Error(`docker login to the registry stand-in failed: ${login.output}`);
  }

  /** Pushes a local image as `<host>/lh/<name>:<tag>`; returns the reference by digest. */
  async push(local: string, repository: string, tag: string): Promise<string> {
    const remote = `${this.host}/lh/${repository}:${tag}`;
    await docker(["tag", local, remote]);
    const pushed = await docker(["--config", this.clientConfig, "push", remote], { timeoutMs: 600_000 });
    await docker(["image", "rm", remote], { allowFailure: true });
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed.stdout)?.[1];
    if (!digest) throw new Error(`docker push ${remote} printed no digest: ${pushed.output}`);
    return `${this.host}/lh/${repository}@${digest}`;
  }

  /** The registry gone, and the engine's references by digest to it (they would keep images on disk). */
  async stop(): Promise<void> {
    await docker(["rm", "--force", "--volumes", this.name], { allowFailure: true });
    if (this.host) {
      const listed = await docker(["image", "ls", "--digests", "--format", "{{.Repository}}@{{.Digest}}"]);
      const ours = listed.stdout.split("\n").filter((line) => line.startsWith(`${this.host}/lh/`));
      if (ours.length > 0) await docker(["image", "rm", "--force", ...ours], { allowFailure: true });
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
