import { chmodSync, cpSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectDigest } from "../../src/stack/project-digest.ts";
import { runCli } from "../support/run-cli.ts";
import { tempDir } from "../support/temp-dir.ts";

const FOLDERS = ["compose", "monitoring"];

function project(): string {
  const root = tempDir("lh-digest-");
  mkdirSync(join(root, "compose"));
  mkdirSync(join(root, "monitoring", "grafana"), { recursive: true });
  writeFileSync(join(root, "compose", "docker-compose.staging.yml"), "services: {}\n");
  writeFileSync(join(root, "monitoring", "prometheus.yml"), "scrape_configs: []\n");
  writeFileSync(join(root, "monitoring", "grafana", "dash.json"), "{}\n");
  return root;
}

function copyOf(root: string): string {
  const copy = tempDir("lh-digest-copy-");
  for (const folder of FOLDERS) cpSync(join(root, folder), join(copy, folder), { recursive: true });
  return copy;
}

describe("the project digest deploy compares before copying compose/ and monitoring/", () => {
  it("is the same for a copy, and changes with any content, mode, entry or link", () => {
    const root = project();
    const digest = projectDigest(root, FOLDERS);
    expect(projectDigest(copyOf(root), FOLDERS)).toBe(digest);

    const edits: Array<(dir: string) => void> = [
      (dir) => writeFileSync(join(dir, "monitoring", "prometheus.yml"), "scrape_configs: [x]\n"),
      (dir) => chmodSync(join(dir, "compose", "docker-compose.staging.yml"), 0o600),
      (dir) => writeFileSync(join(dir, "monitoring", "grafana", "new.json"), "{}\n"),
      (dir) => rmSync(join(dir, "monitoring", "grafana", "dash.json")),
      (dir) => symlinkSync("/etc/passwd", join(dir, "compose", "link")),
      (dir) => rmSync(join(dir, "monitoring"), { recursive: true }),
    ];
    for (const edit of edits) {
      const copy = copyOf(root);
      edit(copy);
      expect(projectDigest(copy, FOLDERS), String(edit)).not.toBe(digest);
    }
  });

  it("tells apart trees whose names and link targets hold spaces or newlines", () => {
    const linked = (links: Array<[string, string]>) => {
      const root = project();
      for (const [name, target] of links) symlinkSync(target, join(root, "compose", name));
      return projectDigest(root, FOLDERS);
    };
    expect(linked([["a", "b c"]])).not.toBe(linked([["a b", "c"]]));
    expect(linked([["a", "x\nlink compose/b y"]])).not.toBe(
      linked([
        ["a", "x"],
        ["b", "y"],
      ]),
    );
    const named = (name: string, content: string) => {
      const root = project();
      writeFileSync(join(root, "compose", name), content);
      return projectDigest(root, FOLDERS);
    };
    expect(named("a 644 1", "x")).not.toBe(named("a", "1\0x"));
  });

  it("does not follow links: a link's target is part of the digest, not the file it points to", () => {
    const root = project();
    symlinkSync("/nonexistent/target", join(root, "compose", "dangling"));
    expect(projectDigest(root, FOLDERS)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("lh-ci project digest DIR prints the same digest (as the ops session answers deploy)", async () => {
    const root = project();
    const result = await runCli(["project", "digest", root]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(projectDigest(root, FOLDERS));
  });
});
