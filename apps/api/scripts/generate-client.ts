import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * Generates Prisma Client (the engine-free `prisma-client` generator) into src/generated/prisma,
 * without network access: generate needs neither a database nor Prisma's schema engine, but the
 * CLI checks for the engine first and reads prisma.config.ts, which requires DATABASE_URL.
 */
const apiDir = fileURLToPath(new URL("../", import.meta.url));
const prisma = fileURLToPath(new URL("../../../node_modules/.bin/prisma", import.meta.url));
if (!existsSync(prisma)) {
  console.error(`prisma CLI not found at ${prisma}; run npm ci in the repository root first`);
  process.exit(1);
}
console.log("generating Prisma Client into apps/api/src/generated/prisma");
const result = spawnSync(prisma, ["generate"], {
  cwd: apiDir,
  stdio: "inherit",
  env: {
    ...process.env,
    // generate never connects: a placeholder satisfies prisma.config.ts when no URL is set.
    DATABASE_URL: process.env.DATABASE_URL || "postgresql://generate.invalid/unused",
    PRISMA_SCHEMA_ENGINE_BINARY:
      process.env.PRISMA_SCHEMA_ENGINE_BINARY || fileURLToPath(new URL("./no-schema-engine.sh", import.meta.url)),
  },
});
process.exit(result.status ?? 1);
