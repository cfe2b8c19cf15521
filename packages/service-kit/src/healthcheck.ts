/**
 * The images' HEALTHCHECK, run as a script: `node healthcheck.js [path]` exits 0 when the service
 * answers 200 on `path` (default /health) of PORT within 2.5 s, 1 otherwise. One script for every
 * image rather than a `node -e` one-liner repeated in each.
 */
export async function probe(port: string, path = "/health", timeoutMs = 2500): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
    return response.ok;
  } catch {
    return false;
  }
}

if (import.meta.main) {
  const port = process.env.PORT;
  if (!port) {
    console.error("healthcheck: PORT is not set; the image sets it (ENV PORT)");
    process.exit(1);
  }
  process.exit((await probe(port, process.argv[2])) ? 0 : 1);
}
