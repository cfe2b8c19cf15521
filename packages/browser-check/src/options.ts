import { accessSync, constants, statSync } from "node:fs";
import { resolve } from "node:path";
import { type ParseArgsOptionsConfig, parseArgs } from "node:util";
import { UsageError } from "./errors.ts";
import { parseOrigin } from "./origins.ts";
import { parseBytes, parseDuration } from "./units.ts";

/** Everything one run of the check needs, validated. */
export interface CheckOptions {
  url: URL;
  /** One deadline over the whole check: Chromium's start, the page, the screenshot. */
  deadlineMs: number;
  /** The most the page may download, all its requests together (bytes). */
  maxBytes: number;
  /** Origins besides the URL's own that the page may reach. */
  allowOrigins: string[];
  /** An existing, writable directory for the report and the screenshot. */
  outDir: string;
  /** The element that must be visible once the page is idle and hydrated (server-rendered). */
  markerSelector: string;
  /** The element the page's client code sets once React has hydrated it. */
  hydratedSelector: string;
  chromiumPath: string;
}

export const DEFAULTS = {
  deadline: "15s",
  maxBytes: "5MiB",
  marker: '[data-testid="api-status"]',
  // apps/web's HydrationMarker sets data-state="hydrated" in its useEffect: only a page whose
  // scripts loaded and ran gets it.
  hydrated: '[data-testid="hydration"][data-state="hydrated"]',
  chromium: "/usr/bin/chromium",
} as const;

export const OPTIONS = {
  url: { type: "string" },
  out: { type: "string" },
  deadline: { type: "string", default: DEFAULTS.deadline },
  "max-bytes": { type: "string", default: DEFAULTS.maxBytes },
  "allow-origin": { type: "string", multiple: true, default: [] as string[] },
  marker: { type: "string", default: DEFAULTS.marker },
  hydrated: { type: "string", default: DEFAULTS.hydrated },
  chromium: { type: "string", default: DEFAULTS.chromium },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const satisfies ParseArgsOptionsConfig;

export const USAGE = `Usage: browser-check --url URL --out DIR [--deadline 15s] [--max-bytes 5MiB]
                     [--allow-origin ORIGIN]... [--marker SELECTOR] [--hydrated SELECTOR]
                     [--chromium PATH] [--json]

Loads URL in headless Chromium and fails when the page does not answer 200, when any request it
makes fails or answers 4xx/5xx, when it logs a console error or throws, when it downloads more
than --max-bytes, when it requests an origin not allowed (the request is aborted), or when the
marker is not visible once the page has hydrated and its network is idle.

  --url URL              the page (http or https)
  --out DIR              an existing directory: report.json and screenshot.png are written there
  --deadline DURATION    for the whole check, Chromium's start included (default ${DEFAULTS.deadline})
  --max-bytes SIZE       the most the page may download, e.g. 5MiB, 800KiB (default ${DEFAULTS.maxBytes})
  --allow-origin ORIGIN  another origin the page may reach, e.g. http://api:4000 (repeatable);
                         the URL's own origin is always allowed
  --marker SELECTOR      must be visible (default ${DEFAULTS.marker})
  --hydrated SELECTOR    appears once the page's scripts ran (default ${DEFAULTS.hydrated})
  --chromium PATH        the browser (default ${DEFAULTS.chromium})
  --json                 print the report as JSON on stdout instead of the summary
  -h, --help             this help

Exit codes: 0 the page passed, 1 it failed (the report says why), 2 bad usage.`;

export interface ParsedArgs {
  options?: CheckOptions;
  json: boolean;
  help: boolean;
}

/** Parses and checks the command line; throws a UsageError naming the option at fault. */
export function parseOptions(argv: string[], cwd: string): ParsedArgs {
  const values = parseCommandLine(argv);
  if (values.help) return { json: values.json, help: true };
  return {
    json: values.json,
    help: false,
    options: {
      url: pageUrl(values.url),
      deadlineMs: deadline(values.deadline),
      maxBytes: maxBytes(values["max-bytes"]),
      allowOrigins: values["allow-origin"].map(parseOrigin),
      outDir: outDir(values.out, cwd),
      markerSelector: selector("marker", values.marker),
      hydratedSelector: selector("hydrated", values.hydrated),
      chromiumPath: chromium(values.chromium, cwd),
    },
  };
}

function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: false, strict: true }).values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}; see browser-check --help`);
  }
}

function pageUrl(text: string | undefined): URL {
  if (!text) throw new UsageError("--url is required: the page to check, e.g. http://web:3000/");
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--url: "${text}" is not a URL; write e.g. http://web:3000/`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--url: "${url.protocol}" is not http or https`);
  }
  // The URL is printed and written to the report: it must not carry a secret.
  if (url.username || url.password) throw new UsageError("--url must not carry credentials (user:password@)");
  return url;
}

function deadline(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`--deadline: "${text}" is not a duration; write e.g. 15s or 500ms`);
  // Chromium alone takes about a second to start.
  if (ms < 1000) throw new UsageError(`--deadline: ${text} is too short for Chromium to start; give at least 1s`);
  return ms;
}

function maxBytes(text: string): number {
  const bytes = parseBytes(text);
  if (bytes === undefined) throw new UsageError(`--max-bytes: "${text}" is not a size; write e.g. 5MiB or 800KiB`);
  return bytes;
}

function outDir(text: string | undefined, cwd: string): string {
  if (!text) throw new UsageError("--out is required: an existing directory for report.json and screenshot.png");
  const dir = resolve(cwd, text);
  const stat = statSync(dir, { throwIfNoEntry: false });
  if (!stat) throw new UsageError(`--out: ${dir} does not exist; create it first`);
  if (!stat.isDirectory()) throw new UsageError(`--out: ${dir} is not a directory`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(`--out: ${dir} is not writable by this user`);
  }
  return dir;
}

function selector(option: string, text: string): string {
  if (text.trim() === "") throw new UsageError(`--${option}: give a CSS selector, e.g. ${DEFAULTS.marker}`);
  return text;
}

function chromium(text: string, cwd: string): string {
  const path = resolve(cwd, text);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new UsageError(
      `--chromium: ${path} is not an executable file; install Debian's chromium (apt-get install chromium) or give its path`,
    );
  }
  return path;
}
