/**
 * The commands operators copy from the runbook, compose/README.md and the alert annotations.
 * Every fenced block there carries a marker on the line above it: `<!-- run by: PATH -->` (that
 * test runs each of its commands, written the same way) or `<!-- not runnable here: REASON -->`;
 * a new block with neither fails this file. Whatever the marker, every lh-ci command named there
 * must exist (`lh-ci ... --help` runs for real), every compose command given to `lh-ci stack
 * compose` must exist (`docker compose SUB --help`, no engine needed), and no command may be a bare
 * `docker compose` that needs the compose file (run, up, exec...), which stops without RELEASE.
 * In the engine tier: it runs the Docker CLI's compose plugin, which the check containers lack.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { COMMANDS } from "../../ci/src/cli/registry.ts";
import { runCli } from "../../ci/test/support/run-cli.ts";
import { runProcess } from "../../ci/test/support/run-process.ts";
import { ALERT_RULES, repoPath } from "./support/paths.ts";

const DOCUMENTS = ["docs/runbook.md", "compose/README.md"];
const MARKER = /^<!-- (run by: (\S+)|not runnable here: (.+\S)) -->$/;
/** Compose commands that read and interpolate the compose file: without RELEASE they stop. */
const NEEDS_THE_FILE = new Set(["run", "up", "exec", "cp", "create", "config", "pull", "build", "scale", "watch"]);

interface Block {
  document: string;
  line: number;
  marker?: RegExpExecArray;
  commands: string[];
}

/** The fenced blocks of a Markdown text, each with the marker above it and its command lines. */
function fencedBlocks(document: string, text: string): Block[] {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    if (!lines[index]?.startsWith("```")) continue;
    const start = index;
    const body: string[] = [];
    for (index += 1; index < lines.length && !lines[index]?.startsWith("```"); index += 1)
      body.push(lines[index] ?? "");
    const above =
      lines
        .slice(0, start)
        .filter((line) => line.trim() !== "")
        .at(-1) ?? "";
    blocks.push({
      document,
      line: start + 1,
      marker: MARKER.exec(above.trim()) ?? undefined,
      commands: commandLines(body.join("\n")),
    });
  }
  return blocks;
}

/** Lines joined over trailing backslashes, without `# comments` and blank lines. */
function commandLines(text: string): string[] {
  return text
    .replace(/\\\n\s*/g, "")
    .split("\n")
    .map((line) => line.replace(/\s+#\s.*$/, "").trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/** Every `inline code` of a text that is a command of ours or of compose. */
function codeSpans(text: string): string[] {
  return [...text.matchAll(/`([^`\n]+)`/g)]
    .map((match) => (match[1] ?? "").trim())
    .filter((span) => /^(npx -- )?lh-ci |^docker compose /.test(span));
}

function annotationCommands(): string[] {
  const rules = parse(readFileSync(ALERT_RULES, "utf8")) as {
    groups: { rules: { annotations?: Record<string, string> }[] }[];
  };
  const texts = rules.groups.flatMap((group) => group.rules.flatMap((rule) => Object.values(rule.annotations ?? {})));
  return texts.flatMap((text) => codeSpans(text.replace(/\s+/g, " ")));
}

/** The lh-ci command a line names (longest registered name), and what follows `--` for stack ops/compose. */
function lhCiCommand(line: string): { name: string; rest: string[] } | undefined {
  const words = line.replace(/^npx -- /, "").split(/\s+/);
  // `lh-ci stack ...` in prose stands for any of them, not for a command.
  if (words[0] !== "lh-ci" || words[1] === "..." || words[2] === "...") return undefined;
  const name = COMMANDS.map((command) => command.name)
    .filter((candidate) => words.slice(1, 1 + candidate.split(" ").length).join(" ") === candidate)
    .sort((a, b) => b.length - a.length)[0];
  const separator = words.indexOf("--");
  return { name: name ?? words.slice(1, 3).join(" "), rest: separator < 0 ? [] : words.slice(separator + 1) };
}

function problemsOf(blocks: Block[]): string[] {
  const problems: string[] = [];
  for (const block of blocks) {
    const where = `${block.document}:${block.line}`;
    if (!block.marker) {
      problems.push(
        `${where}: a fenced block without <!-- run by: PATH --> or <!-- not runnable here: REASON --> above it`,
      );
      continue;
    }
    const runBy = block.marker[2];
    if (!runBy) continue;
    if (!existsSync(repoPath(runBy))) {
      problems.push(`${where}: run by ${runBy}, which does not exist`);
      continue;
    }
    const test = readFileSync(repoPath(runBy), "utf8");
    for (const command of block.commands) {
      if (!test.includes(command)) problems.push(`${where}: ${runBy} does not run \`${command}\``);
    }
  }
  return problems;
}

const blocks = DOCUMENTS.flatMap((document) => fencedBlocks(document, readFileSync(repoPath(document), "utf8")));
const documented = [
  ...blocks.flatMap((block) => block.commands),
  ...DOCUMENTS.flatMap((document) => codeSpans(readFileSync(repoPath(document), "utf8"))),
  ...annotationCommands(),
];

describe("the documented commands", () => {
  it("every fenced block is run by a test or says why it cannot be run here", () => {
    expect(blocks.length).toBeGreaterThan(0);
    expect(problemsOf(blocks)).toEqual([]);
  });

  it("a new block with no marker, or whose test does not run it, is found", () => {
    const unmarked = fencedBlocks("new.md", "Some text.\n\n```bash\nlh-ci stack status\n```\n");
    expect(problemsOf(unmarked)).toEqual([
      "new.md:3: a fenced block without <!-- run by: PATH --> or <!-- not runnable here: REASON --> above it",
    ]);
    const claimed = fencedBlocks(
      "new.md",
      "<!-- run by: tests/stack/compose.test.ts -->\n```bash\nlh-ci frobnicate --all   # no such thing\n```\n",
    );
    expect(problemsOf(claimed)).toEqual([
      "new.md:2: tests/stack/compose.test.ts does not run `lh-ci frobnicate --all`",
    ]);
    expect(fencedBlocks("new.md", "<!-- not runnable here: needs staging -->\n```\nx\n```\n")[0]?.marker?.[3]).toBe(
      "needs staging",
    );
  });

  it("no bare docker compose command that needs the compose file (it stops without RELEASE)", () => {
    const bare = documented.filter((line) => {
      const words = line.split(/\s+/);
      if (words[0] !== "docker" || words[1] !== "compose" || !words[2]?.startsWith("-")) return false;
      const sub = words
        .slice(2)
        .find(
          (word, index, rest) =>
            !word.startsWith("-") && !rest[index - 1]?.match(/^-[pf]$|^--(file|env-file|project-name)$/),
        );
      return words.includes("-f") || words.includes("--file") || NEEDS_THE_FILE.has(sub ?? "");
    });
    expect(bare).toEqual([]);
  });

  it("every lh-ci command named exists (its --help runs), the one after stack ops -- too", async () => {
    const names = new Set<string>();
    for (const line of documented) {
      const command = lhCiCommand(line);
      if (!command) continue;
      names.add(command.name);
      if (command.name === "stack ops" && command.rest.length > 0)
        names.add(lhCiCommand(`lh-ci ${command.rest.join(" ")}`)?.name ?? "");
    }
    expect([...names]).toContain("stack compose");
    for (const name of names) {
      const result = await runCli([...name.split(" "), "--help"]);
      expect(result.code, `lh-ci ${name} --help: ${result.stderr}`).toBe(0);
    }
  });

  it("every compose command given to lh-ci stack compose exists", async () => {
    const subcommands = new Set(
      documented
        .map((line) => lhCiCommand(line))
        .filter((command) => command?.name === "stack compose")
        .map((command) => command?.rest[0] ?? "")
        // ARGS, COMMAND...: a placeholder in prose, not a compose command.
        .filter((sub) => sub !== "" && sub !== "..." && !/^[A-Z]+$/.test(sub)),
    );
    expect(subcommands.size).toBeGreaterThan(2);
    for (const sub of subcommands) {
      const result = await runProcess("docker", ["compose", sub, "--help"], {
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? "/root",
          DOCKER_HOST: "unix:///nonexistent.sock",
        },
      });
      expect(result.code, `docker compose ${sub} --help: ${result.stderr}`).toBe(0);
    }
  });
});
