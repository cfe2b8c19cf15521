import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { dockerignorePatterns, isIgnored, parseDockerfile, type Stage, stageChain } from "./support/dockerfile.ts";

// The invariants of the images, read from their Dockerfiles; `npm run e2e` builds and runs them.

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** Each service's Dockerfile, the stage its build argument APP selects, and its port. */
const IMAGES = [
  { app: "api", dockerfile: "apps/Dockerfile", port: 4000 },
  { app: "ai-gateway", dockerfile: "apps/Dockerfile", port: 4100 },
  { app: "worker", dockerfile: "apps/Dockerfile", port: 4200 },
  { app: "web", dockerfile: "apps/Dockerfile", port: 3000 },
] as const;
const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|PRIVATE_KEY|CREDENTIALS?|_KEY|DATABASE_URL)\b/i;

/** Every workspace manifest, from the root package.json's globs (dir/* or dir). */
function workspaceManifests(): string[] {
  const root = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { workspaces: string[] };
  return root.workspaces.flatMap((pattern) => {
    const dirs = pattern.endsWith("/*")
      ? readdirSync(join(ROOT, pattern.slice(0, -2))).map((entry) => `${pattern.slice(0, -2)}/${entry}`)
      : [pattern];
    return dirs.filter((dir) => existsSync(join(ROOT, dir, "package.json"))).map((dir) => `${dir}/package.json`);
  });
}

const runs = (stage: Stage) => stage.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args);
const copies = (stage: Stage) => stage.instructions.filter((i) => i.keyword === "COPY").map((i) => i.args);
const NPM_CI = /\bnpm ci\b/;
/** The production install: the service's tree only, from the lockfile (apps/service-deps.mjs). */
const PROD_INSTALL = /\bnpm install --omit=dev\b/;
// biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfiles' literal ${APP}
const APP_ARG = "${APP}";
// biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfiles' literal FROM ${NODE_IMAGE}
const NODE_IMAGE_ARG = "${NODE_IMAGE}";

for (const { app, dockerfile, port } of IMAGES) {
  describe(`${dockerfile} for ${app}`, () => {
    const text = readFileSync(join(ROOT, dockerfile), "utf8");
    const stages = parseDockerfile(text);
    // The image: the stage named like the service (selected by APP), or the last stage.
    const chain = stageChain(stages, stages.some((stage) => stage.name === app) ? app : undefined);
    const final = chain.flatMap((stage) => stage.instructions);
    const all = stages.flatMap((stage) => stage.instructions);
    const last = (keyword: string) => final.filter((i) => i.keyword === keyword).at(-1)?.args;

    it("is multi-stage on one Node 24 bookworm-slim base, chosen by NODE_IMAGE, without a # syntax line", () => {
      expect(stages.length).toBeGreaterThanOrEqual(2);
      const names = new Set(stages.map((stage) => stage.name));
      for (const stage of stages) {
        expect([NODE_IMAGE_ARG, APP_ARG].includes(stage.from) || names.has(stage.from)).toBe(true);
      }
      expect(chain[0]?.from).toBe(NODE_IMAGE_ARG);
      // The default is an exact release (node:24.x.y-bookworm-slim) or a digest, never a moving tag.
      expect(text).toMatch(/^ARG NODE_IMAGE=node:24\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$/m);
      // A syntax line makes every build fetch a frontend image from a registry.
      expect(text).not.toMatch(/^#\s*syntax=/m);
    });

    it("trusts an extra CA bundle only as the optional build secret extra_ca, in every npm step, with npm's cache mounted", () => {
      const installs = stages.flatMap(runs).filter((run) => NPM_CI.test(run) || PROD_INSTALL.test(run));
      expect(installs.length).toBeGreaterThan(0);
      for (const install of installs) {
        expect(install).toContain("--mount=type=secret,id=extra_ca");
        expect(install).toContain("NODE_EXTRA_CA_CERTS=/run/secrets/extra_ca");
        expect(install).toContain("--mount=type=cache,target=/root/.npm");
      }
      expect(all.some((i) => /extra_ca|\.crt\b|\.pem\b/.test(i.keyword === "COPY" ? i.args : ""))).toBe(false);
    });

    it("installs production dependencies of its workspace from the lockfile, manifests before sources", () => {
      const prodInstall = stages.find((stage) =>
        runs(stage).some((run) => PROD_INSTALL.test(run) && run.includes("--omit=dev")),
      );
      expect(prodInstall).toBeDefined();
      const install = runs(prodInstall as Stage).find((run) => PROD_INSTALL.test(run)) ?? "";
      // Only the service's tree (the root manifest narrowed to it), each package checked against the lockfile.
      expect(install).toMatch(/service-deps\.mjs narrow \$\{APP\} .*npm install --omit=dev .*service-deps\.mjs check/s);
      // The manifests: the stage the install stage builds on (or itself), nothing but manifests before the install.
      const base = stageChain(stages, prodInstall?.name);
      const copied = base.flatMap(copies).join("\n");
      expect(copied).toMatch(/package\.json package-lock\.json/);
      for (const manifest of workspaceManifests()) expect(copied).toContain(manifest);
      expect(copied).not.toMatch(/\/src\b/);
      expect(final.some((i) => i.keyword === "RUN" && /\bnpm (ci|install|i)\b/.test(i.args))).toBe(false);
    });

    it(`runs from apps/${app} as a non-root user, port ${port}, with a HEALTHCHECK`, () => {
      expect([`/app/apps/${app}`, `/app/apps/${APP_ARG}`, "/app"]).toContain(last("WORKDIR"));
      expect(last("CMD")).toMatch(/^\["node", "/);
      const user = last("USER") ?? "root";
      expect(user).not.toMatch(/^(root|0)(:|$)/);
      expect(last("EXPOSE")).toBe(String(port));
      expect(last("HEALTHCHECK") ?? "").toMatch(/CMD \["node", "[^"]*healthcheck[^"]*"\]/);
      // Nothing but the runtime: no TypeScript sources copied into the image.
      expect(
        final
          .filter((i) => i.keyword === "COPY")
          .map((i) => i.args)
          .join("\n"),
      ).not.toMatch(/\/src\b/);
    });

    it("carries no secret in an ARG, an ENV or a copied file", () => {
      for (const instruction of all.filter((i) => i.keyword === "ARG" || i.keyword === "ENV")) {
        expect(instruction.args).not.toMatch(SECRET_NAME);
      }
      for (const copy of all.filter((i) => i.keyword === "COPY" || i.keyword === "ADD")) {
        expect(copy.args).not.toMatch(/\.env\b|\.npmrc|id_rsa|\.pem\b/);
      }
    });
  });
}

describe("apps/Dockerfile and Prisma", () => {
  const text = readFileSync(join(ROOT, "apps/Dockerfile"), "utf8");
  const stages = parseDockerfile(text);

  it("ships the prisma CLI, schema, migrations and config so `npx prisma migrate deploy` runs in the api image", () => {
    const api = JSON.parse(readFileSync(join(ROOT, "apps/api/package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    expect(api.dependencies.prisma).toMatch(/^\d+\.\d+\.\d+$/);
    expect(api.dependencies["@prisma/client"]).toBe(api.dependencies.prisma);
    expect(api.dependencies["@prisma/adapter-pg"]).toBe(api.dependencies.prisma);
    const gathered = stages.flatMap(runs).join("\n");
    expect(gathered).toMatch(/cp -r apps\/\$\{APP\}\/prisma apps\/\$\{APP\}\/prisma\.config\.ts/);
    // npm skips Prisma's install scripts: the engine is fetched at build time, not at deploy time,
    // unless the build host cannot reach Prisma's servers (PRISMA_FETCH_ENGINES=false, the e2e's).
    const fetch = stages.flatMap(runs).find((run) => /prisma --version/.test(run)) ?? "";
    expect(fetch).toMatch(/\[ "\$PRISMA_FETCH_ENGINES" = true \]/);
    expect(text).toMatch(/^ARG PRISMA_FETCH_ENGINES=true$/m);
  });

  it("has a Prisma migrations folder in Prisma's layout", () => {
    const dir = join(ROOT, "apps/api/prisma/migrations");
    expect(readFileSync(join(dir, "migration_lock.toml"), "utf8")).toContain('provider = "postgresql"');
    const migrations = readdirSync(dir).filter((entry) => existsSync(join(dir, entry, "migration.sql")));
    expect(migrations.length).toBeGreaterThan(0);
    for (const name of migrations) expect(name).toMatch(/^\d{14}_[a-z0-9_]+$/);
    const schema = readFileSync(join(ROOT, "apps/api/prisma/schema.prisma"), "utf8");
    // Prisma 7: the URL lives in prisma.config.ts, no longer in the datasource block.
    expect(schema).not.toMatch(/url\s*=/);
    expect(schema).toMatch(/provider\s*=\s*"prisma-client"/);
    expect(readFileSync(join(ROOT, "apps/api/prisma.config.ts"), "utf8")).toContain('env("DATABASE_URL")');
  });
});

describe(".dockerignore", () => {
  const patterns = dockerignorePatterns(readFileSync(join(ROOT, ".dockerignore"), "utf8"));

  it("keeps modules, secrets, backups, state, history, tests and host build output out of the build context", () => {
    for (const path of [
      "node_modules/zod/package.json",
      "apps/api/node_modules/x/index.js",
      ".env",
      ".env.staging",
      "apps/api/.env.local",
      "backups/staging/lawyers_hub_staging_20261125T101500Z.sql",
      ".lh-state/staging/lock.json",
      ".git/HEAD",
      ".tools/node_modules/.bin/node",
      "apps/api/test/api.test.ts",
      "apps/api/dist/main.js",
      "apps/api/src/generated/prisma/client.ts",
      "packages/service-kit/dist/index.js",
    ]) {
      expect(isIgnored(patterns, path), path).toBe(true);
    }
  });

  it("keeps what the images need", () => {
    for (const path of [
      "package.json",
      "package-lock.json",
      "tsconfig.base.json",
      "apps/api/src/main.ts",
      "apps/api/prisma/migrations/20261102093000_init/migration.sql",
      "apps/api/prisma.config.ts",
      "apps/api/tsconfig.build.json",
      "packages/service-kit/src/index.ts",
      "ci/bin/lh-ci.mjs",
    ]) {
      expect(isIgnored(patterns, path), path).toBe(false);
    }
  });
});
