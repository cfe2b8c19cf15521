import { defineConfig, env } from "prisma/config";

// Prisma 7 reads the connection URL here, not in schema.prisma. DATABASE_URL comes from the
// container's environment (compose / the pipeline's secrets); no .env file is baked into the image.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: {
    path: "prisma/migrations",
  },
  datasource: {
    url: env("DATABASE_URL"),
  },
});
