/** The browser check's options of deploy, rollback and `stack verify`: --no-browser and --browser-report. */
import { resolve } from "node:path";
import type { ParseArgsOptionsConfig } from "node:util";
import type { CommandContext } from "../cli/command.ts";
import { DEFAULT_BROWSER_REPORT_DIR } from "./verify-release.ts";

export const BROWSER_OPTIONS = {
  "no-browser": { type: "boolean", default: false },
  "browser-report": { type: "string", default: DEFAULT_BROWSER_REPORT_DIR },
} as const satisfies ParseArgsOptionsConfig;

export const BROWSER_HELP = `  --no-browser                    skip the browser check (emergencies only): says loudly that
                                  the release was not looked at in a browser
  --browser-report DIR            where the browser check's files go: DIR/<release>/report.json
                                  and DIR/<release>/screenshot.png (default ./${DEFAULT_BROWSER_REPORT_DIR})`;

/** Whether the check runs, and the absolute folder its files go to. */
export function browserOption(context: CommandContext): { enabled: boolean; dir: string } {
  const { values, cwd } = context;
  const dir = typeof values["browser-report"] === "string" ? values["browser-report"] : DEFAULT_BROWSER_REPORT_DIR;
  return { enabled: values["no-browser"] !== true, dir: resolve(cwd, dir) };
}
