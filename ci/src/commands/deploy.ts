import { resolve } from "node:path";
import type { Command } from "../cli/command.ts";
import { ExitCode, UsageError } from "../cli/exit-codes.ts";
import { ConfigError } from "../config/load.ts";
import { BROWSER_HELP, BROWSER_OPTIONS, browserOption } from "../stack/browser-option.ts";
import { runDeploy } from "../stack/deploy-flow.ts";
import { ToolkitDeploySteps } from "../stack/deploy-steps.ts";
import { Executor } from "../stack/executor.ts";
import { parseImageOptions, registryLogin } from "../stack/registry-images.ts";
import { durationOption, releaseOption } from "../stack/release-option.ts";
import { printReport, progressLines } from "../stack/report.ts";
import { STACK_HELP, STACK_OPTIONS, stackSettings } from "../stack/settings.ts";
import { Stack } from "../stack/stack.ts";

/** `lh-ci deploy`: the whole deploy of one release onto the engine in DOCKER_HOST. */
export const deploy: Command = {
  name: "deploy",
  summary: "deploy a release: lock, load, backup, migrations, up --wait, verify, ledger, automatic rollback",
  help: `Usage: lh-ci deploy --release SHA [--env staging] [--images DIR | --image SERVICE=REF@DIGEST ...]
                 [--allow-destructive-migrations] [--no-rollback] [--operator WHO]
                 [--verify-timeout 120s] [--no-browser] [--browser-report DIR]
                 [--json] [--summary FILE]
                 [stack options]

In order, each step saying what it does and how long it took:
  check config      the environment's configuration (as lh-ci env check); exit 2 when invalid
  images            every image of the release (api, web, ai-gateway, worker, browser-check, ops) is in --images
                    DIR as <service>.tar, given by digest with --image, or already on the engine
                    as <prefix>/<service>:<release>
  lock              ships (or pulls) the ops image, takes the deploy lock in the ops container
                    (refused at once, naming the holder, when someone else holds it)
  load              the other images: from --images, only the layers the engine lacks, each
                    checked against its digest first, in one docker load; with --image, docker
                    pull by digest (compose then runs those digests); both tagged
                    <prefix>/<service>:<release>; copies
                    compose/ and monitoring/ to --project-dir on the engine's host when needed
                    and they differ there (lh-ci project digest in the ops session)
  changes           whether the database changes: not when the release is the verified one and
                    its migrations are all applied (then backup, migrations check and migrate
                    are skipped, saying why)
  backup            lh-ci backup in the stack's network, into the backups volume (older than 7
                    days pruned)
  migrations check  refuses destructive pending migrations unless --allow-destructive-migrations
  migrate           the one-shot migrate service
  up                docker compose up --detach --wait (every health check passes), or the
                    start-first rollout of changed services; not run on a redeploy whose
                    containers all run the release already, healthy
  verify            lh-ci verify in the stack's network and, at once, the browser check: Chromium loads
                    the web page from the browser-check one-shot service; a failed request, a
                    console error, an uncaught exception or a missing marker fails verify
  record            the release ledger (in the ops state volume)
  prune             removes images of releases older than the last five of the ledger
  unlock            releases the lock, in every outcome once taken
Every in-stack step runs in one ops container (lh-ci session), started at lock.
When up or verify fails, the previous verified release is brought back up and verified (unless
--no-rollback); the database schema stays as migrated (migrations are forward-only).

Options:
  --release SHA                   the release: the tag of its images (required)
  --images DIR                    a folder of image tarballs (docker save or OCI archives):
                                  registry-free mode
  --image SERVICE=REF@sha256:D    registry mode: each of the six images as the publish printed
                                  it; the login comes from $REGISTRY_USERNAME and
                                  $REGISTRY_PASSWORD (leave both unset for a public registry)
  --allow-destructive-migrations  let migrations that drop or rewrite data through
  --no-rollback                   leave a release that failed verification running
  --operator WHO                  who deploys, for the lock and the ledger (default: $GITHUB_ACTOR
                                  as github:NAME, else USER@host)
  --verify-timeout DURATION       lh-ci verify's deadline (default 120s)
${BROWSER_HELP}
  --summary FILE                  append the report as Markdown (e.g. "$GITHUB_STEP_SUMMARY")

${STACK_HELP}

Prints a report: every step with its status and time, the release running, the ledger entry,
and loud lines for what needs care. Exit 0 when the release is deployed and verified, 1 when the
deploy failed (rolled back or not), 2 for bad usage or configuration.`,
  options: {
    ...STACK_OPTIONS,
    release: { type: "string" },
    images: { type: "string" },
    image: { type: "string", multiple: true },
    "allow-destructive-migrations": { type: "boolean", default: false },
    "no-rollback": { type: "boolean", default: false },
    operator: { type: "string" },
    "verify-timeout": { type: "string", default: "120s" },
    summary: { type: "string" },
    ...BROWSER_OPTIONS,
  },
  async run(context) {
    const { values, out, cwd, processEnv } = context;
    const release = releaseOption(values.release);
    const verifyTimeout = durationOption(values["verify-timeout"], "--verify-timeout");
    const settings = stackSettings(context);
    const imagesDir = typeof values.images === "string" ? resolve(cwd, values.images) : undefined;
    const imageOptions = (values.image as string[] | undefined) ?? [];
    if (imagesDir && imageOptions.length > 0) {
      throw new UsageError("--images and --image exclude each other: ship tarballs, or pull from a registry");
    }
    const registry =
      imageOptions.length > 0 ? { refs: parseImageOptions(imageOptions), login: registryLogin(processEnv) } : undefined;
    if (registry) settings.project.pinned = { release, refs: registry.refs };
    const stack = new Stack(settings, new Executor(out, processEnv));
    out.info(
      `Deploying ${release} to ${settings.env} (project ${settings.project.name}, engine ${processEnv.DOCKER_HOST || "local socket"})...`,
    );

    let configError: ConfigError | undefined;
    const steps = new ToolkitDeploySteps(stack, {
      release,
      verifyTimeout,
      browser: browserOption(context),
      reason: `lh-ci deploy ${release}`,
      ...(imagesDir ? { imagesDir } : {}),
      ...(registry ? { registry } : {}),
      checkConfig: () => {
        try {
          const loaded = context.loadConfig();
          for (const warning of loaded.warnings) out.warn(`${warning.variable}: ${warning.message}`);
          return `${loaded.file ?? "process environment"} is valid`;
        } catch (error) {
          if (error instanceof ConfigError) configError = error;
          throw error;
        }
      },
    });
    const report = await runDeploy(steps, {
      release,
      allowDestructiveMigrations: values["allow-destructive-migrations"] === true,
      noRollback: values["no-rollback"] === true,
      onStep: progressLines(context, "deploy"),
    });
    const code = printReport(context, report, `deploy to ${settings.env}`);
    if (configError) {
      for (const problem of configError.problems) out.error(`${problem.variable}: ${problem.message}`);
      return ExitCode.usage;
    }
    return code;
  },
};
