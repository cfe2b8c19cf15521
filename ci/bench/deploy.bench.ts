// The deploy's own overhead, in the same run, on the miniature stack of
// ci/test/stack/fixtures/mini-stack (postgres and redis stand-ins, the migrate stand-in, an HTTP
// stub as api and web, this checkout's ops image; base images of tests/e2e/provision.sh):
//   redeploy: `lh-ci deploy` of the release already running (nothing changed) against the bare
//             `docker compose up --detach --wait` of the same stack;
//   changed:  `lh-ci deploy` of another release (the same images under another tag, so only the
//             containers change: the start-first rollout) against the bare `docker compose up
//             --detach --wait` of that change (compose stops each old container, then starts its
//             new one: how a release was brought up before the rollout).
// Targets (<= 1.2x): the whole redeploy against its bare up; for a changed release, its `up` step
// (the start-first rollout) against the bare up of the change, since that step is what the rollout
// replaced. The whole changed-release deploy is printed against that bare up too, but is not held
// to a ratio: the steps around `up` (lock, database role, backup, verify with the browser check)
// are about 3 s here whatever up costs, and the stub api and web ignore SIGTERM, so both sides'
// 10 s stop timeout makes that ratio say more about the stub than about the deploy.
// Prints where the extra time goes (each step of the deploy report). Each measurement is the best
// of ROUNDS runs (the changed release's up step too: the shortest of its rounds).
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildLhCiBundle } from "../test/support/lh-ci-bundle.ts";

const LH_CI = buildLhCiBundle();
const FIXTURE = fileURLToPath(new URL("../test/stack/fixtures/mini-stack", import.meta.url));
const MIGRATIONS = fileURLToPath(new URL("../../apps/api/prisma/migrations", import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TARGET = 1.2;
const RELEASE = "be4c000000000000000000000000000000000000";
/** The changed release: the same images under another tag. */
const OTHER = "be4c000000000000000000000000000000000001";

const name = `lhstack-bench-${randomBytes(4).toString("hex")}`;
const source = mkdtempSync(join(tmpdir(), "lhstack-bench-src-"));
const host = mkdtempSync(join(tmpdir(), "lhstack-bench-host-"));
// As Docker creates /var/lib/lawyers-hub/<env>: readable by the ops image's user (see lh-ci project digest).
chmodSync(host, 0o755);
cpSync(FIXTURE, source, { recursive: true });
cpSync(MIGRATIONS, join(source, "monitoring", "migrations"), { recursive: true });
const envFile = join(source, ".env.staging");
const password = randomBytes(12).toString("hex");
writeFileSync(
  envFile,
  `DATABASE_URL=postgresql://lhstack_app:app-${password}@postgres:5432/lhstack\nREDIS_HOST=redis\nREDIS_PORT=6379\nCLERK_SECRET_KEY=sk_test_bench\nSTRIPE_SECRET_KEY=sk_test_bench\nPOSTGRES_USER=lhstack\nPOSTGRES_PASSWORD=${password}\nPOSTGRES_DB=lhstack\nGRAFANA_ADMIN_USER=admin\nGRAFANA_ADMIN_PASSWORD=grafana-bench\nALERTMANAGER_CRITICAL_WEBHOOK_URL=http://127.0.0.1:9/critical\nALERTMANAGER_WARNING_WEBHOOK_URL=http://127.0.0.1:9/warning\nLHSTACK_POSTGRES_IMAGE=lh-e2e/postgres:15\nLHSTACK_REDIS_IMAGE=lh-e2e/redis:7\nLHSTACK_CADDY_IMAGE=lh-e2e/caddy:2\n`,
);
const lhCiOptions = ["--env-file", envFile, "--project-name", name, "--image-prefix", name, "--project-dir", host];
const compose = [
  "compose",
  "--ansi",
  "never",
  "--file",
  join(source, "compose", "docker-compose.staging.yml"),
  "--project-directory",
  join(host, "compose"),
  "--project-name",
  name,
  "--env-file",
  envFile,
];
const env = { ...process.env, RELEASE, IMAGE_PREFIX: name };

function run(program: string, args: string[], release = RELEASE): { ms: number; stdout: string } {
  const start = process.hrtime.bigint();
  const result = spawnSync(program, args, {
    cwd: source,
    env: { ...env, RELEASE: release },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${program} ${args.join(" ")} failed:\n${result.stderr.slice(-3000)}`);
  return { ms, stdout: result.stdout };
}

/**
 * The app images (the e2e's Node base) and the ops image under `release`'s tag. Tagged again before
 * every run that needs them: a deploy's prune removes the images of releases its ledger does not keep.
 */
function tagAppImages(release: string): void {
  for (const service of ["api", "web", "ai-gateway", "worker", "browser-check"]) {
    execFileSync("docker", ["tag", "lh-e2e/node:24-bookworm-slim", `${name}/${service}:${release}`]);
  }
  if (release !== RELEASE) execFileSync("docker", ["tag", `${name}/ops:${RELEASE}`, `${name}/ops:${release}`]);
}

function best(label: string, measure: (round: number) => number): number {
  const times = Array.from({ length: ROUNDS }, (_, round) => measure(round));
  const fastest = Math.min(...times);
  console.log(`${label.padEnd(44)} ${(fastest / 1000).toFixed(2)} s (best of ${ROUNDS})`);
  return fastest;
}

try {
  tagAppImages(RELEASE);
  // The ops image of this checkout (cached after the first build), on the e2e's Node base.
  const ca = process.env.LH_E2E_EXTRA_CA ?? "/etc/ssl/certs/ca-certificates.crt";
  execFileSync(
    "docker",
    ["build", "--file", "ci/Dockerfile", "--build-arg", "NODE_IMAGE=lh-e2e/node:24-bookworm-slim"]
      .concat(existsSync(ca) ? ["--secret", `id=extra_ca,src=${ca}`] : [])
      .concat(["--tag", `${name}/ops:${RELEASE}`, "."]),
    {
      cwd: fileURLToPath(new URL("../../", import.meta.url)),
      env: { ...process.env, DOCKER_BUILDKIT: "1" },
      stdio: "ignore",
    },
  );
  run(process.execPath, ["--", LH_CI, "deploy", "--release", RELEASE, ...lhCiOptions]);

  const bare = best(
    "docker compose up --detach --wait",
    () => run("docker", [...compose, "up", "--detach", "--wait"]).ms,
  );
  let steps: { step: string; ms: number }[] = [];
  const deploy = (release: string): number => {
    const result = run(
      process.execPath,
      ["--", LH_CI, "deploy", "--release", release, "--json", ...lhCiOptions],
      release,
    );
    steps = (JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "{}") as { steps: typeof steps }).steps;
    return result.ms;
  };
  const showSteps = () => {
    console.log("  where the deploy's time goes (last run):");
    for (const step of steps) console.log(`    ${step.step.padEnd(18)} ${(step.ms / 1000).toFixed(2)} s`);
  };
  const redeploy = best("lh-ci deploy (same release, nothing changed)", () => deploy(RELEASE));
  showSteps();

  // Each round changes the release: OTHER, RELEASE, OTHER... (an odd round count ends on OTHER,
  // so the bare rounds are brought back to the release lh-ci's ledger runs before its own rounds).
  const changeTo = (round: number) => (round % 2 === 0 ? OTHER : RELEASE);
  // As lh-ci brought a changed release up before the rollout, when no migration is pending.
  const bareUpOfChange = [...compose, "up", "--detach", "--wait", "--scale", "migrate=0", "--scale", "database-role=0"];
  const bareChanged = best("docker compose up --detach --wait (changed)", (round) => {
    tagAppImages(changeTo(round));
    return run("docker", bareUpOfChange, changeTo(round)).ms;
  });
  if (ROUNDS % 2 === 1) {
    tagAppImages(RELEASE);
    run("docker", bareUpOfChange, RELEASE);
  }
  let changedUpMs = Number.POSITIVE_INFINITY;
  const changed = best("lh-ci deploy (changed release, rollout)", (round) => {
    tagAppImages(changeTo(round));
    const ms = deploy(changeTo(round));
    const up = steps.find((step) => step.step === "up");
    if (!up) throw new Error("the changed release's deploy report has no up step");
    changedUpMs = Math.min(changedUpMs, up.ms);
    return ms;
  });
  showSteps();

  const ratios = { redeploy: redeploy / bare, rollout: changedUpMs / bareChanged, changed: changed / bareChanged };
  console.log(`redeploy / bare up: ${ratios.redeploy.toFixed(2)}x (target <= ${TARGET}x)`);
  console.log(
    `changed release, its up step (the start-first rollout, ${(changedUpMs / 1000).toFixed(2)} s) / bare up of the change: ${ratios.rollout.toFixed(2)}x (target <= ${TARGET}x)`,
  );
  console.log(
    `changed-release deploy, every step / bare up of the change: ${ratios.changed.toFixed(2)}x (reported: see the header)`,
  );
  process.exitCode = ratios.redeploy <= TARGET && ratios.rollout <= TARGET ? 0 : 1;
} finally {
  spawnSync(
    "docker",
    [...compose, "--profile", "ops", "--profile", "browser", "down", "--volumes", "--remove-orphans", "--timeout", "1"],
    {
      env,
    },
  );
  const images = spawnSync(
    "docker",
    ["image", "ls", "--format", "{{.Repository}}:{{.Tag}}", "--filter", `reference=${name}/*`],
    {
      encoding: "utf8",
    },
  )
    .stdout.split("\n")
    .filter(Boolean);
  if (images.length > 0) spawnSync("docker", ["image", "rm", ...images]);
  rmSync(source, { recursive: true, force: true });
  rmSync(host, { recursive: true, force: true });
}
