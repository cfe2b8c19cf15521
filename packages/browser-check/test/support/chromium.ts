import { accessSync, constants } from "node:fs";

export const CHROMIUM = "/usr/bin/chromium";

/**
 * These tests run a real browser: without it they fail, saying how to install it (they must not
 * pass by skipping). `.ci/run` installs it with the other Debian packages.
 */
export function requireChromium(): string {
  try {
    accessSync(CHROMIUM, constants.X_OK);
  } catch {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (as root: apt-get install -y --no-install-recommends chromium), or run .ci/run, which does`,
    );
  }
  return CHROMIUM;
}
