import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  BrowserReportError,
  browserSkipped,
  browserVerdict,
  MAX_REPORT_BYTES,
  parseBrowserReport,
  readBrowserReport,
} from "../../src/stack/browser-report.ts";
import { CappedWritable } from "../../src/stack/verify-release.ts";
import { tempDir } from "../support/temp-dir.ts";

const scratch = tempDir("lh-browser-report-");

/** A report as packages/browser-check writes it (its fields, its shape). */
function report(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ok: true,
    url: "http://web:3000/",
    problems: [],
    timings: { firstByteMs: 41, domContentLoadedMs: 180, loadMs: 230, launchMs: 900, totalMs: 2350 },
    bytes: 412_000,
    maxBytes: 5_242_880,
    requests: 14,
    marker: { selector: '[data-testid="api-status"]', visible: true, text: "api: ok" },
    screenshot: "screenshot.png",
    chromium: "156.0.8078.114",
    deadlineMs: 30_000,
    ...overrides,
  };
}

describe("the browser check's report as lh-ci reads it", () => {
  it("reads a passing report and says how long the check took and the page's timings", () => {
    const path = join(scratch, "pass.json");
    writeFileSync(path, `${JSON.stringify(report(), null, 2)}\n`);
    const read = readBrowserReport(path);
    expect(browserVerdict(read)).toBe(
      "browser check of http://web:3000/ passed in 2.35s (14 requests, first byte 41ms, DOMContentLoaded 180ms, load 230ms)",
    );
  });

  it("names every problem of a failed page", () => {
    const failed = parseBrowserReport(
      JSON.stringify(
        report({
          ok: false,
          problems: ["console error: boom", "GET http://web:3000/_next/static/chunks/main.js answered 404"],
          timings: { firstByteMs: null, domContentLoadedMs: null, loadMs: null, launchMs: 800, totalMs: 3100 },
        }),
      ),
      "stdout",
    );
    expect(browserVerdict(failed)).toBe(
      "browser check of http://web:3000/ FAILED in 3.1s: console error: boom; GET http://web:3000/_next/static/chunks/main.js answered 404",
    );
  });

  it("refuses what is not a report, naming the field, the source and the size", () => {
    expect(() => parseBrowserReport("not json", "stdout of the check")).toThrow(
      /report stdout of the check is not JSON/,
    );
    expect(() => parseBrowserReport(JSON.stringify(report({ problems: "none" })), "x")).toThrow(
      /not its format: problems: /,
    );
    expect(() => parseBrowserReport(JSON.stringify(report({ ok: true, problems: ["a"] })), "x")).toThrow(
      /says ok=true with 1 problems/,
    );
    expect(() => readBrowserReport(join(scratch, "absent.json"))).toThrow(BrowserReportError);
    const big = join(scratch, "big.json");
    writeFileSync(big, " ".repeat(MAX_REPORT_BYTES + 1));
    expect(() => readBrowserReport(big)).toThrow(`is ${MAX_REPORT_BYTES + 1} bytes, more than ${MAX_REPORT_BYTES}`);
  });

  it("says loudly, for --no-browser, that the release was not looked at in a browser", () => {
    expect(browserSkipped("abc1234")).toMatch(
      /^BROWSER CHECK SKIPPED \(--no-browser\): release abc1234 was not looked at in a browser/,
    );
  });
});

describe("CappedWritable", () => {
  it("passes bytes on up to its limit, then drops the rest and says so", async () => {
    const path = join(scratch, "capped.bin");
    const target = new PassThrough();
    const chunks: Buffer[] = [];
    target.on("data", (chunk: Buffer) => chunks.push(chunk));
    const capped = new CappedWritable(target, 10);
    capped.write(Buffer.from("12345"));
    capped.write(Buffer.from("67890"));
    expect(capped.overflowed).toBe(false);
    capped.write(Buffer.from("x"));
    await new Promise<void>((resolve) => capped.end(resolve));
    expect(capped.overflowed).toBe(true);
    writeFileSync(path, Buffer.concat(chunks));
    expect(readFileSync(path, "utf8")).toBe("1234567890");
  });
});
