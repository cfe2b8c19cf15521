import { cpSync, existsSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * Completes Next.js's standalone output: `next build` leaves the browser's assets (.next/static)
 * and public/ out of .next/standalone, for a CDN to serve; our server serves them itself, so they
 * are copied beside its server.js. Without them the page renders but loads no script or style.
 */
const web = fileURLToPath(new URL("../", import.meta.url));
const server = `${web}.next/standalone/apps/web/`;
if (!existsSync(`${server}server.js`)) {
  console.error(`${server}server.js is missing: run next build (output: "standalone") first`);
  process.exit(1);
}
for (const [from, to] of [
  [".next/static", ".next/static"],
  ["public", "public"],
] as const) {
  rmSync(`${server}${to}`, { recursive: true, force: true });
  cpSync(`${web}${from}`, `${server}${to}`, { recursive: true });
  console.log(`copied apps/web/${from} to apps/web/.next/standalone/apps/web/${to}`);
}
