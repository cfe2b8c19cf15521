import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { dockerignorePatterns, isIgnored, parseDockerfile, type Stage } from "./support/dockerfile.ts";

// The invariants of the images, read from their Dockerfiles; `npm run e2e` builds and runs them.

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const APPS = { api: 4000, web: 3000, "ai-gateway": 4100, worker: 4200 } as const;
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

for (const [app, port] of Object.entries(APPS)) {
  describe(`apps/${app}/Dockerfile`, () => {
    const text = readFileSync(join(ROOT, "apps", app, "Dockerfile"), "utf8");
    const stages = parseDockerfile(text);
    const final = stages.at(-1) as Stage;
    const all = stages.flatMap((stage) => stage.instructions);

    it("is multi-stage on one Node 24 bookworm-slim base, chosen by NODE_IMAGE, without a # syntax line", () => {
      expect(stages.length).toBeGreaterThanOrEqual(2);
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's literal FROM ${NODE_IMAGE}
      for (const stage of stages) expect(stage.from).toBe("${NODE_IMAGE}");
      // The default is an exact release (node:24.x.y-bookworm-slim) or a digest, never a moving tag.
      expect(text).toMatch(/^ARG NODE_IMAGE=node:24\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$/m);
      // A syntax line makes every build fetch a frontend image from a registry.
      expect(text).not.toMatch(/^#\s*syntax=/m);
    });

    it("trusts an extra CA bundle only as the optional build secret extra_ca, for the npm step", () => {
      const install = stages.flatMap(runs).find((run) => /\bnpm ci\b/.test(run)) ?? "";
      expect(install).toContain("--mount=type=secret,id=extra_ca");
      expect(install).toContain("NODE_EXTRA_CA_CERTS=/run/secrets/extra_ca");
      expect(all.some((i) => /extra_ca|\.crt\b|\.pem\b/.test(i.keyword === "COPY" ? i.args : ""))).toBe(false);
    });

    it("installs production dependencies of its workspace from the lockfile, manifests before sources", () => {
      const deps = stages.find((stage) => runs(stage).some((run) => /\bnpm ci\b/.test(run)));
      expect(deps).toBeDefined();
      const install = runs(deps as Stage).find((run) => /\bnpm ci\b/.test(run)) ?? "";
      expect(install).toMatch(new RegExp(`--workspace[= ]apps/${app}\\b`));
      expect(install).toContain("--omit=dev");
      const copied = copies(deps as Stage).join("\n");
      expect(copied).toMatch(/package\.json package-lock\.json/);
      for (const manifest of workspaceManifests()) expect(copied).toContain(manifest);
      // Nothing but manifests before the install: a source change must not invalidate the install layer.
      expect(copied).not.toMatch(/\/src\b/);
      expect(final.instructions.some((i) => i.keyword === "RUN" && /\bnpm (ci|install|i)\b/.test(i.args))).toBe(false);
      expect(copies(final).join("\n")).toContain(`--from=${deps?.name} /app/node_modules`);
    });

    it(`runs node src/main.ts from apps/${app} as a non-root user, port ${port}, with a /health check`, () => {
      const last = (keyword: string) => final.instructions.filter((i) => i.keyword === keyword).at(-1)?.args;
      expect(last("WORKDIR")).toBe(`/app/apps/${app}`);
      expect(last("CMD")).toBe('["node", "src/main.ts"]');
      const user = last("USER") ?? "root";
      expect(user).not.toMatch(/^(root|0)(:|$)/);
      expect(last("EXPOSE")).toBe(String(port));
      const healthcheck = last("HEALTHCHECK") ?? "";
      expect(healthcheck).toContain("/health");
      expect(healthcheck).toContain(String(port));
      expect(copies(final).join("\n")).toContain(`apps/${app}/src`);
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

describe("apps/api/Dockerfile and Prisma", () => {
  const stages = parseDockerfile(readFileSync(join(ROOT, "apps/api/Dockerfile"), "utf8"));
  const final = stages.at(-1) as Stage;

  it("ships the prisma CLI, schema, migrations and config so `npx prisma migrate deploy` runs in it", () => {
    const api = JSON.parse(readFileSync(join(ROOT, "apps/api/package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    expect(api.dependencies.prisma).toMatch(/^\d+\.\d+\.\d+$/);
    const copied = copies(final).join("\n");
    expect(copied).toMatch(/apps\/api\/prisma(\s|$)/m);
    expect(copied).toContain("apps/api/prisma.config.ts");
    // npm 11 skips Prisma's install scripts: the engine is fetched at build time, not at deploy time,
    // unless the build host cannot reach Prisma's servers (PRISMA_FETCH_ENGINES=false, the e2e's).
    const fetch = stages.flatMap(runs).find((run) => /prisma --version/.test(run)) ?? "";
    expect(fetch).toMatch(/if \[ "\$PRISMA_FETCH_ENGINES" = true \]/);
    expect(readFileSync(join(ROOT, "apps/api/Dockerfile"), "utf8")).toMatch(/^ARG PRISMA_FETCH_ENGINES=true$/m);
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
    expect(readFileSync(join(ROOT, "apps/api/prisma.config.ts"), "utf8")).toContain('env("DATABASE_URL")');
  });
});

describe(".dockerignore", () => {
  const patterns = dockerignorePatterns(readFileSync(join(ROOT, ".dockerignore"), "utf8"));

  it("keeps modules, secrets, backups, state and history out of the build context", () => {
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
    ]) {
      expect(isIgnored(patterns, path), path).toBe(true);
    }
  });

  it("keeps what the images need", () => {
    for (const path of [
      "package.json",
      "package-lock.json",
      "apps/api/src/main.ts",
      "apps/api/prisma/migrations/20261102093000_init/migration.sql",
      "apps/api/prisma.config.ts",
      "packages/service-kit/src/index.ts",
      "ci/bin/lh-ci.mjs",
    ]) {
      expect(isIgnored(patterns, path), path).toBe(false);
    }
  });
});
