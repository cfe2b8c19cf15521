import { fileURLToPath } from "node:url";
import type { NextConfig } from "next";

const config: NextConfig = {
  // A self-contained server (.next/standalone) with only the files it needs, for the image; the
  // image adds .next/static and public/ beside it, which the standalone output leaves out.
  output: "standalone",
  // The workspace root: dependencies are hoisted there, and the standalone tree mirrors it
  // (.next/standalone/apps/web/server.js).
  outputFileTracingRoot: fileURLToPath(new URL("../../", import.meta.url)),
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
