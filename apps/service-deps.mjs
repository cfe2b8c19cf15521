// The production dependencies of one service, for its image's prod-deps stage. `npm ci
// --workspace` installs the service's dependencies as the whole tree resolved them, optional peers
// included: another workspace's @prisma/client satisfies @nestjs/terminus's optional peer, so the
// worker's image carried Prisma's client, CLI and everything they pull in (371 MB of node_modules
// instead of 69). Instead:
//   node apps/service-deps.mjs narrow <app>   the root manifest lists only the service kit and the
//                                             service; the other workspaces' manifests go
//   npm install --omit=dev ...                installs that narrower tree, versions from the lockfile
//   node apps/service-deps.mjs check          every installed package is a name, version and
//                                             integrity the original lockfile holds; otherwise it fails
// Plain JavaScript on purpose: it runs in the base image before anything is installed.
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";

const LOCK = "package-lock.json";
// Beside the lockfile, in the prod-deps stage only (the image takes node_modules from it, nothing else).
const ORIGINAL_LOCK = "package-lock.original.json";
const KIT = "packages/service-kit";

const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));

function fail(message) {
  console.error(`service-deps: ${message}`);
  process.exit(1);
}

function narrow(app) {
  if (!app || !existsSync(`apps/${app}/package.json`))
    fail(`no workspace apps/${app ?? ""}: pass api, ai-gateway or worker`);
  const root = readJson("package.json");
  const keep = [KIT, `apps/${app}`];
  const lock = readJson(LOCK);
  const others = Object.keys(lock.packages ?? {}).filter(
    (key) => key !== "" && !key.includes("node_modules/") && !keep.includes(key),
  );
  for (const workspace of others) rmSync(workspace, { recursive: true, force: true });
  copyFileSync(LOCK, ORIGINAL_LOCK);
  writeFileSync(
    "package.json",
    JSON.stringify({ ...root, workspaces: keep, devDependencies: {}, scripts: {} }, null, 2),
  );
  console.log(`service-deps: the root manifest now lists ${keep.join(" and ")}; removed ${others.join(", ")}`);
}

/** name@version -> integrity, for every registry package a lockfile holds. */
function lockedPackages(lock) {
  const found = new Map();
  for (const [key, entry] of Object.entries(lock.packages ?? {})) {
    const at = key.lastIndexOf("node_modules/");
    if (at < 0 || entry.link) continue;
    found.set(`${key.slice(at + "node_modules/".length)}@${entry.version}`, entry.integrity ?? "");
  }
  return found;
}

function check() {
  const original = lockedPackages(readJson(ORIGINAL_LOCK));
  const installed = lockedPackages(readJson(LOCK));
  const strays = [...installed].filter(([id, integrity]) => original.get(id) !== integrity).map(([id]) => id);
  if (strays.length > 0)
    fail(
      `not as the lockfile pins them: ${strays.join(", ")}; run npm install at the root and commit package-lock.json`,
    );
  console.log(`service-deps: ${installed.size} packages installed, each as the lockfile pins it`);
}

const [command, app] = process.argv.slice(2);
if (command === "narrow") narrow(app);
else if (command === "check") check();
else fail("usage: node apps/service-deps.mjs narrow <app> | check");
