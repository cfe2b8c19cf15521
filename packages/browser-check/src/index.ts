export { runBrowserCheck } from "./check.ts";
export { main } from "./cli.ts";
export { ExitCode, UsageError } from "./errors.ts";
export { CHROMIUM_FLAGS } from "./launch.ts";
export { type CheckOptions, DEFAULTS, parseOptions } from "./options.ts";
export { type BrowserCheckReport, REPORT_FILE, SCREENSHOT_FILE, summaryLines } from "./report.ts";
