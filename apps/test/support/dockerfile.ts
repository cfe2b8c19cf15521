import { matchesGlob } from "node:path";

/** One Dockerfile instruction, continuation lines joined. */
export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages of instructions (comments dropped, `\` continuations joined). */
export function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let current = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (current === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.startsWith("#")) continue;
    if (line.endsWith("\\")) {
      current += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push((current + line).trim());
    current = "";
  }
  const stages: Stage[] = [];
  for (const line of logical) {
    const [keyword = "", ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(" ") };
    if (instruction.keyword === "FROM") {
      const [from = "", as, name] = instruction.args.split(/\s+/).filter((part) => !part.startsWith("--"));
      stages.push({ from, name: as?.toUpperCase() === "AS" ? name : undefined, instructions: [] });
    } else if (instruction.keyword !== "ARG" || stages.length > 0) {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

/**
 * Whether a .dockerignore keeps `path` out of the build context: a pattern matches the path or
 * one of its parent directories, and the last matching pattern wins (`!` re-includes).
 */
export function isIgnored(patterns: string[], path: string): boolean {
  const parts = path.split("/");
  const candidates = parts.map((_, index) => parts.slice(0, index + 1).join("/"));
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith("!");
    const pattern = (negated ? raw.slice(1) : raw).replace(/^\/+/, "").replace(/\/+$/, "");
    if (candidates.some((candidate) => matchesGlob(candidate, pattern))) ignored = !negated;
  }
  return ignored;
}

export function dockerignorePatterns(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/**
 * The stages an image is made of, base first: the stage `name` (default: the last) and the stages
 * it is built FROM, followed back to the first one that starts from an image.
 */
export function stageChain(stages: Stage[], name?: string): Stage[] {
  const chain: Stage[] = [];
  let current = name === undefined ? stages.at(-1) : stages.find((stage) => stage.name === name);
  while (current && !chain.includes(current)) {
    chain.unshift(current);
    const from = current.from;
    current = stages.find((stage) => stage.name === from);
  }
  return chain;
}
