/**
 * The images' HEALTHCHECK: exits 0 when the service answers 200 on `path` of PORT (or its default
 * port), 1 otherwise, within `timeoutMs`. A script in the image rather than a `node -e` one-liner
 * repeated in every Dockerfile.
 */
export async function probe(defaultPort: number, path = "/health", timeoutMs = 2500): Promise<never> {
  const port = process.env.PORT || String(defaultPort);
  try {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
    process.exit(response.ok ? 0 : 1);
  } catch {
    process.exit(1);
  }
}
