/**
 * A person who clones the repository has nothing else: no planning documents, no shared folder,
 * no issue tracker. Nothing tracked may send them there, and the docs that list what the code
 * defines must list what it defines now.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type ConfigName, configSchema } from "../../ci/src/config/schema.ts";
import { ALERT_RULES, repoPath } from "../stack/support/paths.ts";

/** References to what is not in the repository: the design document, the shared folder, the seed, issue numbers. */
const OUTSIDE = /DESIGN\.md|shared folder|\bthe seed\b|\bseed's\b|staging-deployment\.md|\bissue #?\d+|\bissues? #\d+/i;
const TEXT_FILE = /\.(ts|mts|mjs|cjs|js|md|sh|yml|yaml|json|toml)$|Dockerfile$|^\.ci\/run$/;

/**
 * Folders that are not the repository's own text: dependencies, tool installs, reports, state and
 * build output (the check container's copy has no .git, so the tree is walked, not `git ls-files`).
 */
const NOT_SOURCE = new Set([
  "node_modules",
  ".git",
  ".tools",
  ".vitest-report",
  ".lh-state",
  "backups",
  "dist",
  "build",
  "coverage",
  ".next",
]);

function trackedTextFiles(dir = ""): string[] {
  return readdirSync(repoPath(dir || "."), { withFileTypes: true }).flatMap((entry) => {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return NOT_SOURCE.has(entry.name) || path === "dagger/sdk" ? [] : trackedTextFiles(path);
    if (!entry.isFile() || !TEXT_FILE.test(path) || path.endsWith("package-lock.json")) return [];
    // This file states the rule, so it names what the rule forbids.
    return path === "tests/repository/self-contained.test.ts" ? [] : [path];
  });
}

describe("the repository is self-contained", () => {
  it("no tracked file refers to a design document, a shared folder, the seed or an issue number", () => {
    const files = trackedTextFiles();
    expect(files.length).toBeGreaterThan(100);
    const found = files.flatMap((path) =>
      readFileSync(repoPath(path), "utf8")
        .split("\n")
        .map((line, index) => ({ where: `${path}:${index + 1}`, line }))
        .filter(({ line }) => OUTSIDE.test(line)),
    );
    expect(found.map(({ where, line }) => `${where}: ${line.trim().slice(0, 120)}`)).toEqual([]);
  });

  it("docs/architecture.md exists and the README links it", () => {
    expect(readFileSync(repoPath("docs/architecture.md"), "utf8")).toMatch(/^# /);
    expect(readFileSync(repoPath("README.md"), "utf8")).toContain("(docs/architecture.md)");
  });

  it("docs/environment.md lists every alert of the rules, and only those", () => {
    const rules = parse(readFileSync(ALERT_RULES, "utf8")) as { groups: { rules: { alert?: string }[] }[] };
    const alerts = rules.groups.flatMap((group) => group.rules.map((rule) => rule.alert ?? "")).sort();
    const text = readFileSync(repoPath("docs/environment.md"), "utf8");
    const listed =
      /^Alerts \(`monitoring\/prometheus\/prometheus_alerts\.yml`\):([\s\S]*?), each with/m.exec(text)?.[1] ?? "";
    expect([...listed.matchAll(/`(\w+)`/g)].map((match) => match[1]).sort()).toEqual(alerts);
  });

  it("compose/README.md marks a variable required exactly when env check requires it", () => {
    const readme = readFileSync(repoPath("compose/README.md"), "utf8");
    for (const name of [
      "REDIS_HOST",
      "DATABASE_URL",
      "CLERK_SECRET_KEY",
      "GRAFANA_ADMIN_USER",
      "REDIS_PORT",
      "OPENAI_API_KEY",
    ]) {
      const row = readme
        .split("\n")
        .find((line) => line.startsWith("| ") && line.split("|")[1]?.includes(`\`${name}\``));
      const requiredHere = !configSchema([name as ConfigName]).shape[name as ConfigName].safeParse(undefined).success;
      expect(
        row
          ?.split("|")[2]
          ?.trim()
          .startsWith(requiredHere ? "yes" : "no"),
        `${name}: ${row}`,
      ).toBe(true);
    }
  });
});
