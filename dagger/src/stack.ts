/**
 * The environment's compose stack on the target: `docker compose ...` and `lh-ci` (through the ops
 * service, inside the stack's own network) run from a Docker CLI container that holds the compose
 * project and the environment's configuration as a mounted Secret. Every exec here has a side
 * effect, so each carries a fresh LH_RUN value: the layer cache never serves it.
 */
import { type Container, type Directory, ReturnType, type Secret } from "@dagger.io/dagger";
import {
  COMPOSE_FILE,
  compose,
  ENV_FILE_PATH,
  type ImageService,
  imageRef,
  lhCi,
  OPS_BACKUP_DIR,
  opsRun,
} from "./commands.ts";
import { dockerClient, type TargetOptions } from "./target.ts";

/** Secrets given one by one (GitHub secrets); they win over the env file, in compose and in lh-ci. */
export type SecretOverrides = Partial<Record<string, Secret>>;

export interface StackOptions {
  env: string;
  target: TargetOptions;
  envFile: Secret;
  overrides: SecretOverrides;
  /** compose/ and monitoring/ of the source: the project compose runs. */
  projectFiles: Directory;
  /** Where the project lives on the Docker host (bind mounts and configs resolve there). */
  projectDir: string;
  imagePrefix: string;
  /** The release whose ops image runs lh-ci (loaded on the target before use). */
  release: string;
  /** Who acts, for the lock and the ledger. */
  operator: string;
}

let runCounter = 0;
/** Unique per exec: keeps side-effecting execs out of the layer cache. */
function runId(): string {
  runCounter += 1;
  return `${Date.now()}-${process.pid}-${runCounter}`;
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1)?.trim() ?? "";
}

export class Stack {
  readonly options: StackOptions;

  constructor(options: StackOptions) {
    this.options = options;
  }

  get env(): string {
    return this.options.env;
  }

  /** The Docker CLI container: target, project files, configuration, RELEASE and IMAGE_PREFIX. */
  client(release: string = this.options.release): Container {
    const { env, target, envFile, overrides, projectFiles, projectDir, imagePrefix } = this.options;
    let container = dockerClient(env, target)
      .withDirectory(projectDir, projectFiles)
      .withWorkdir(projectDir)
      .withMountedSecret(ENV_FILE_PATH, envFile)
      .withEnvVariable("IMAGE_PREFIX", imagePrefix)
      .withEnvVariable("RELEASE", release)
      .withEnvVariable("COMPOSE_PROJECT_NAME", `lawyers-hub-${env}`);
    for (const [name, secret] of Object.entries(overrides)) {
      if (secret) container = container.withSecretVariable(name, secret);
    }
    return container;
  }

  /** Runs a command against the target (never cached); fails with the command's stderr. */
  exec(args: readonly string[], release?: string, container?: Container): Container {
    return (container ?? this.client(release)).withEnvVariable("LH_RUN", runId()).withExec([...args]);
  }

  async run(args: readonly string[], release?: string): Promise<string> {
    return await this.exec(args, release).stdout();
  }

  /** Runs a command whose failure is an answer (exit 1: "none"), not an error. */
  async attempt(args: readonly string[], release?: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const done = this.client(release)
      .withEnvVariable("LH_RUN", runId())
      .withExec([...args], { expect: ReturnType.Any });
    const [code, stdout, stderr] = await Promise.all([done.exitCode(), done.stdout(), done.stderr()]);
    return { code, stdout, stderr };
  }

  compose(...args: string[]): string[] {
    return compose(this.env, this.options.projectDir, ...args);
  }

  /** `lh-ci ...` in the ops service; `deps: false` for state-only commands (lock, ledger). */
  async lhCi(args: readonly string[], deps = true, release?: string): Promise<string> {
    return await this.run(opsRun(this.env, this.options.projectDir, args, deps), release);
  }

  imageRef(service: ImageService, release: string = this.options.release): string {
    return imageRef(this.options.imagePrefix, service, release);
  }

  /**
   * `docker load` of built images into the target, tagged `<prefix>/<service>:<release>`. The
   * tarballs come from Dagger as OCI archives without a name, so the loaded ID is tagged.
   */
  async loadImages(images: Partial<Record<ImageService, Container>>, release: string = this.options.release) {
    let container = this.client(release);
    const pairs: string[] = [];
    for (const [service, image] of Object.entries(images)) {
      if (!image) continue;
      container = container.withMountedFile(`/images/${service}.tar`, image.asTarball());
      pairs.push(`/images/${service}.tar`, this.imageRef(service as ImageService, release));
    }
    const script = [
      "set -eu",
      'while [ "$#" -gt 0 ]; do',
      '  loaded=$(docker load -i "$1")',
      '  id=$(printf "%s\\n" "$loaded" | sed -n "s/^Loaded image ID: //p; s/^Loaded image: //p" | tail -n 1)',
      '  [ -n "$id" ] || { echo "docker load printed no image for $1: $loaded" >&2; exit 1; }',
      '  docker tag "$id" "$2"',
      '  echo "loaded $2"',
      "  shift 2",
      "done",
    ].join("\n");
    return await this.exec(["sh", "-c", script, "sh", ...pairs], release, container).stdout();
  }

  /**
   * Copies compose/ and monitoring/ to the project directory on the Docker host, where bind
   * mounts and compose configs resolve; uses the ops image (already loaded) to write there.
   */
  async syncProject(release: string = this.options.release): Promise<string> {
    const { projectDir } = this.options;
    const script = [
      "set -eu",
      'tar -C "$1" -cf - compose monitoring | docker run --rm -i --user 0 --entrypoint sh -v "$1:/project" "$2" -c \'mkdir -p /project && rm -rf /project/compose /project/monitoring && tar -C /project -xf -\'',
      'echo "project files synced to $1 on the Docker host"',
    ].join("\n");
    return await this.run(["sh", "-c", script, "sh", projectDir, this.imageRef("ops", release)], release);
  }

  /** The last line of `lh-ci releases current|previous`, undefined when the ledger has none. */
  async ledgerRelease(which: "current" | "previous"): Promise<string | undefined> {
    const args = which === "current" ? lhCi.releasesCurrent(this.env) : lhCi.releasesPrevious(this.env);
    const result = await this.attempt(opsRun(this.env, this.options.projectDir, args, false));
    if (result.code === 0) return lastLine(result.stdout);
    if (result.code === 1 && /no verified release|nothing to roll back to/.test(result.stderr)) return undefined;
    throw new Error(`lh-ci releases ${which} failed (exit ${result.code}): ${result.stderr.trim()}`);
  }

  async acquireLock(commit: string, reason: string): Promise<string> {
    return await this.lhCi(lhCi.lockAcquire(this.env, this.options.operator, commit, reason), false);
  }

  async releaseLock(): Promise<string> {
    return await this.lhCi(lhCi.lockRelease(this.env, this.options.operator), false);
  }

  /** Holds the lock around an operation, releasing it in every outcome. */
  async withLock<T>(commit: string, reason: string, operation: () => Promise<T>): Promise<T> {
    await this.acquireLock(commit, reason);
    try {
      return await operation();
    } finally {
      await this.releaseLock();
    }
  }

  /** Backs up the database into the backups volume; returns the backup's file name. */
  async backup(): Promise<string> {
    const path = lastLine(await this.lhCi(lhCi.backup(this.env)));
    const name = path.split("/").at(-1) ?? "";
    if (!name) throw new Error(`lh-ci backup printed no backup path (got "${path}")`);
    return name;
  }

  /** A directory holding the named backup and its sidecar, copied out of the backups volume. */
  fetchBackup(name: string): Directory {
    const script = [
      "set -eu",
      'name="$1"; shift',
      "mkdir -p /out",
      `"$@" "${OPS_BACKUP_DIR}/$name" > "/out/$name"`,
      `"$@" "${OPS_BACKUP_DIR}/$name.json" > "/out/$name.json"`,
    ].join("\n");
    const cat = this.compose("run", "--rm", "-T", "--no-deps", "--entrypoint", "cat", "ops");
    return this.exec(["sh", "-c", script, "sh", name, ...cat]).directory("/out");
  }

  /** Copies a backup (and its sidecar, when given) into the backups volume. */
  async storeBackup(file: Directory, name: string, withSidecar: boolean): Promise<string> {
    const write = this.compose("run", "--rm", "-T", "--no-deps", "--entrypoint", "sh", "ops");
    const script = [
      "set -eu",
      'name="$1"; sidecar="$2"; shift 2',
      `"$@" -c 'cat > "${OPS_BACKUP_DIR}/$0"' "$name" < "/in/$name"`,
      `if [ "$sidecar" = yes ]; then "$@" -c 'cat > "${OPS_BACKUP_DIR}/$0"' "$name.json" < "/in/$name.json"; fi`,
      `echo "${OPS_BACKUP_DIR}/$name"`,
    ].join("\n");
    const container = this.client().withMountedDirectory("/in", file);
    const args = ["sh", "-c", script, "sh", name, withSidecar ? "yes" : "no", ...write];
    return lastLine(await this.exec(args, undefined, container).stdout());
  }

  /** `docker compose up --wait` of a release: waits for every health check, fails if one does not pass. */
  async up(release: string): Promise<string> {
    return await this.run(
      this.compose("up", "--detach", "--wait", "--wait-timeout", "300", "--remove-orphans"),
      release,
    );
  }

  /** The references of our images present on the target. */
  async presentImages(): Promise<string[]> {
    const out = await this.run([
      "docker",
      "image",
      "ls",
      "--format",
      "{{.Repository}}:{{.Tag}}",
      "--filter",
      `reference=${this.options.imagePrefix}/*`,
    ]);
    return out.split("\n").filter((line) => line.trim() !== "");
  }

  composeFile(): string {
    return `${this.options.projectDir}/${COMPOSE_FILE}`;
  }
}
