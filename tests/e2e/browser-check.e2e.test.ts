import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DeployTarget, prepareDeployTarget, deployReport as report } from "./support/deploy-target.ts";
import { docker } from "./support/docker.ts";
import { REPO_ROOT } from "./support/paths.ts";
import { phase, phaseSummary } from "./support/timing.ts";

// The browser check as part of verify, on the real stack: `lh-ci deploy` of a good release looks
// at the web page in Chromium (the browser-check image, run by compose in the stack's `browser`
// network) and saves its report and screenshot; three web releases that only a browser can tell
// apart from the good one fail it. The first is deployed, rejected and rolled back by the deploy
// itself; the other two are each made the running web and fail `lh-ci stack verify`, which runs
// the same check (a deploy and a rollback each would only repeat what the first one showed).

const PROJECT = "lhbrowser-e2e";
const PREFIX = "lhbrowser-e2e";
const A = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).trim();
const FAULTS = join(REPO_ROOT, "tests", "e2e", "fixtures", "broken-web");

let target: DeployTarget;
const reports = mkdtempSync(join(tmpdir(), "lhbrowser-e2e-reports-"));
const lhCi = (args: string[]) => target.lhCi([...args, "--browser-report", reports]);

interface SavedReport {
  ok: boolean;
  problems: string[];
  timings: { totalMs: number };
  screenshot: string | null;
}

function saved(release: string): { text: string; report: SavedReport } {
  const text = readFileSync(join(reports, release, "report.json"), "utf8");
  return { text, report: JSON.parse(text) as SavedReport };
}

function isPng(path: string): boolean {
  return readFileSync(path)
    .subarray(0, 8)
    .equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
}

beforeAll(async () => {
  target = await prepareDeployTarget(PROJECT, PREFIX, A);
}, 3_600_000);

afterAll(async () => {
  await target?.cleanUp();
  rmSync(reports, { recursive: true, force: true });
  console.log(`[e2e] phases of the browser check e2e:\n${phaseSummary()}`);
}, 600_000);

/** A release whose web image is the good one with one fault (a Dockerfile FROM it); the rest is A's. */
async function buildBroken(fault: string, release: string): Promise<void> {
  await phase(`build the ${fault} web image`, () =>
    docker(
      [
        "build",
        "--file",
        join(FAULTS, fault, "Dockerfile"),
        "--build-arg",
        `WEB_IMAGE=${target.ref("web", A)}`,
        "--tag",
        target.ref("web", release),
        join(FAULTS, fault),
      ],
      { timeoutMs: 300_000, env: { ...process.env, DOCKER_BUILDKIT: "1" } },
    ),
  );
  await target.tag(A, release, ["api", "ai-gateway", "worker", "browser-check", "ops"]);
}

describe("the browser check in lh-ci deploy, on the real stack", () => {
  it("a good release passes: its page is looked at, the report and screenshot saved, the check's duration reported", async () => {
    const result = await phase("deploy A (good)", () => lhCi(["deploy", "--release", A, "--json"]));
    expect(result.code, result.stderr).toBe(0);
    const deployed = report(result.stdout);
    const verify = deployed.steps.find((step) => step.step === "verify");
    expect(verify?.status).toBe("ok");
    expect(verify?.detail).toMatch(
      /browser check of http:\/\/web:3000\/ passed in [\d.]+m?s \(\d+ requests, first byte/,
    );
    expect(result.stderr).toContain(`report: ${join(reports, A, "report.json")}`);
    const { report: page } = saved(A);
    expect(page.ok).toBe(true);
    expect(page.problems).toEqual([]);
    expect(page.screenshot).toBe("screenshot.png");
    expect(isPng(join(reports, A, "screenshot.png"))).toBe(true);
    console.log(`[e2e] the browser check of the good release took ${page.timings.totalMs} ms`);
  });

  it("gives the check no secret: none in its report, its container's environment or the page it loaded", async () => {
    const { text } = saved(A);
    const env = await target.stack.compose(
      ["run", "--rm", "--no-TTY", "--no-deps", "--entrypoint", "env", "browser-check"],
      { env: { ...process.env, IMAGE_PREFIX: PREFIX, RELEASE: A } },
    );
    const proxy = await target.proxy();
    const { text: page } = await proxy.get(proxy.web("/"));
    expect(env.stdout).toContain("HOME=");
    expect(env.stdout).not.toMatch(/^(DATABASE_URL|REDIS_PASSWORD|CLERK_SECRET_KEY|STRIPE_SECRET_KEY)=/m);
    for (const secret of target.env.canaries) {
      expect(text).not.toContain(secret);
      expect(env.stdout).not.toContain(secret);
      expect(page).not.toContain(secret);
    }
  });

  it("--no-browser skips the check and says loudly that the release was not looked at in a browser", async () => {
    const result = await phase("stack verify --no-browser", () => lhCi(["stack", "verify", "--no-browser"]));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      `BROWSER CHECK SKIPPED (--no-browser): release ${A} was not looked at in a browser`,
    );
  });

  it("a web release whose client code throws after hydration is rejected by the check and rolled back, the reason in the report", async () => {
    const release = "e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1";
    const reason = /uncaught exception: Error: e2e fault: thrown after hydration/;
    await buildBroken("throws-after-hydration", release);
    const result = await phase("deploy throws-after-hydration (rolled back)", () =>
      lhCi(["deploy", "--release", release, "--json"]),
    );
    expect(result.code).toBe(1);
    const deployed = report(result.stdout);
    const verify = deployed.steps.find((step) => step.step === "verify");
    expect(verify?.status).toBe("failed");
    expect(verify?.detail).toMatch(reason);
    expect(deployed.messages.join("\n")).toMatch(new RegExp(`VERIFY FAILED for ${release}: .*${reason.source}`));
    expect(deployed.rolledBackTo).toBe(A);
    expect(deployed.recorded).toMatchObject({ commit: release, result: "rolled-back" });
    // The rollback's own verify looked at A's page again, and it passed.
    expect(deployed.steps.find((step) => step.step === "rollback")?.detail).toMatch(
      /browser check of http:\/\/web:3000\/ passed/,
    );
    expect(await target.current()).toBe(A);
    expectFailedReport(release, reason);
  });

  it.each([
    [
      "no-static-assets",
      "e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2",
      /GET http:\/\/web:3000\/_next\/static\/\S+ answered 404/,
    ],
    [
      "console-error",
      "e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3",
      /console error: e2e fault: a console error the page logs/,
    ],
  ])(
    "a web release whose page fails in a browser (%s), running as the stack's web, fails `lh-ci stack verify`, the reason in the report",
    async (fault, release, reason) => {
      await buildBroken(fault, release);
      try {
        await phase(`${fault} as the running web`, () => upWeb(release));
        const result = await phase(`stack verify of ${fault}`, () => lhCi(["stack", "verify", "--release", release]));
        expect(result.code).toBe(1);
        // The in-stack checks passed (the server and /ready are fine); only the browser saw the fault.
        expect(result.stderr).toMatch(
          new RegExp(`error: browser check of http://web:3000/ FAILED in .*${reason.source}`),
        );
        expectFailedReport(release, reason);
      } finally {
        await phase("A's web back", () => upWeb(A));
      }
    },
  );
});

/** Makes `release`'s web image the stack's running web, the other services left as they are. */
async function upWeb(release: string): Promise<void> {
  await target.stack.compose(["up", "--detach", "--wait", "--no-deps", "web"], {
    env: { ...process.env, IMAGE_PREFIX: PREFIX, RELEASE: release },
    timeoutMs: 300_000,
  });
}

/** The failed check's saved report names the reason; the good release's report is still there. */
function expectFailedReport(release: string, reason: RegExp): void {
  const { report: page } = saved(release);
  expect(page.ok).toBe(false);
  expect(page.problems.join("\n")).toMatch(reason);
  // A screenshot of what the user would have seen, when the page got that far.
  if (page.screenshot) expect(isPng(join(reports, release, "screenshot.png"))).toBe(true);
  expect(existsSync(join(reports, A, "report.json"))).toBe(true);
}
