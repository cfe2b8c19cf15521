import { spawnSync } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../../ci/test/support/temp-dir.ts";
import { DEFAULTS, parseOptions } from "../src/options.ts";
import { formatBytes, parseBytes, parseDuration } from "../src/units.ts";

// What the program refuses before it starts a browser: these run anywhere, Chromium or not.
const BIN = fileURLToPath(new URL("../bin/browser-check.mjs", import.meta.url));
const out = tempDir("browser-check-options-");
/** Any executable stands in for Chromium here: it is never started. */
const fakeChromium = join(out, "chromium");
writeFileSync(fakeChromium, "#!/bin/sh\nexit 1\n");
chmodSync(fakeChromium, 0o755);

function run(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: out });
}

describe("browser-check's options", () => {
  const good = ["--url", "http://web:3000/", "--out", out, "--chromium", fakeChromium];

  it.each([
    [["--out", out], "--url is required"],
    [["--url", "ftp://web/", "--out", out], '--url: "ftp:" is not http or https'],
    [["--url", "web:3000", "--out", out], '--url: "web:" is not http or https'],
    [["--url", "not a url", "--out", out], '--url: "not a url" is not a URL'],
    [["--url", "http://admin:pw@web:3000/", "--out", out], "--url must not carry credentials"],
    [["--url", "http://web:3000/"], "--out is required"],
    [["--url", "http://web:3000/", "--out", join(out, "nope")], `--out: ${join(out, "nope")} does not exist`],
    [["--url", "http://web:3000/", "--out", fakeChromium], `--out: ${fakeChromium} is not a directory`],
    [[...good, "--deadline", "soon"], '--deadline: "soon" is not a duration'],
    [[...good, "--deadline", "200ms"], "--deadline: 200ms is too short"],
    [[...good, "--max-bytes", "lots"], '--max-bytes: "lots" is not a size'],
    [
      [...good, "--allow-origin", "http://api:4000/ready"],
      '--allow-origin: "http://api:4000/ready" has more than an origin',
    ],
    [[...good, "--allow-origin", "api:4000"], '--allow-origin: "api:4000" is not an http(s) origin'],
    [[...good, "--marker", " "], "--marker: give a CSS selector"],
    [[...good, "--chromium", join(out, "missing")], `--chromium: ${join(out, "missing")} is not an executable file`],
    [[...good, "--verbose"], "Unknown option '--verbose'"],
  ])("refuses %j with exit 2, naming the option", (args, message) => {
    const result = run(...args);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`browser-check: ${message}`);
  });

  it("prints its usage with --help and exits 0", () => {
    const result = run("--help");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: browser-check --url URL --out DIR/);
    expect(result.stdout).toContain("Exit codes: 0 the page passed, 1 it failed");
  });

  it("fills in the defaults and keeps the allowed origins as origins", () => {
    const { options } = parseOptions([...good, "--out", ".", "--allow-origin", "http://api:4000/"], out);
    expect(options).toEqual({
      url: new URL("http://web:3000/"),
      deadlineMs: 15_000,
      maxBytes: 5 * 1024 * 1024,
      allowOrigins: ["http://api:4000"],
      outDir: out,
      markerSelector: DEFAULTS.marker,
      hydratedSelector: DEFAULTS.hydrated,
      chromiumPath: fakeChromium,
    });
  });
});

describe("units", () => {
  it("reads durations and sizes as operators write them", () => {
    expect([parseDuration("15s"), parseDuration("500ms"), parseDuration("2m"), parseDuration("3")]).toEqual([
      15_000, 500, 120_000, 3000,
    ]);
    expect([parseDuration("0s"), parseDuration("-1s"), parseDuration("1h")]).toEqual([undefined, undefined, undefined]);
    expect([parseBytes("5MiB"), parseBytes("800 KiB"), parseBytes("2MB"), parseBytes("1000")]).toEqual([
      5 * 1024 * 1024,
      800 * 1024,
      2_000_000,
      1000,
    ]);
    expect([parseBytes("0"), parseBytes("5 potatoes"), parseBytes("MiB")]).toEqual([undefined, undefined, undefined]);
    expect([formatBytes(812), formatBytes(42_291), formatBytes(5 * 1024 * 1024)]).toEqual([
      "812 B",
      "41.3 KiB",
      "5 MiB",
    ]);
  });
});
