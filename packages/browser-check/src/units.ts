/**
 * Durations and sizes as operators write them on the command line. Durations are written as for
 * lh-ci (`500ms`, `15s`, `2m`; a bare number is seconds); this package does not import the
 * toolkit, which lives in another image.
 */
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)?$/;
const DURATION_MS = { ms: 1, s: 1000, m: 60_000 } as const;

/** Milliseconds, or undefined when the text is not a positive duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * DURATION_MS[(match[2] ?? "s") as keyof typeof DURATION_MS];
  return Number.isFinite(ms) && ms >= 1 ? Math.round(ms) : undefined;
}

/** `5MiB`, `500KiB`, `2MB`, `1000000` (bytes). */
const SIZE = /^(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?$/i;
const SIZE_BYTES: Record<string, number> = {
  b: 1,
  kb: 1000,
  kib: 1024,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/** Bytes, or undefined when the text is not a positive size. */
export function parseBytes(text: string): number | undefined {
  const match = SIZE.exec(text.trim());
  if (!match) return undefined;
  const bytes = Number(match[1]) * (SIZE_BYTES[(match[2] ?? "b").toLowerCase()] ?? Number.NaN);
  return Number.isFinite(bytes) && bytes >= 1 ? Math.floor(bytes) : undefined;
}

/** `850ms`, `2.35s`, `1m 5s`. */
export function formatDuration(ms: number): string {
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(2))}s`;
  const seconds = Math.round(ms / 1000);
  return seconds % 60 ? `${Math.floor(seconds / 60)}m ${seconds % 60}s` : `${seconds / 60}m`;
}

/** `812 B`, `41.3 KiB`, `5 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${Number((bytes / 1024).toFixed(1))} KiB`;
  return `${Number((bytes / 1024 ** 2).toFixed(1))} MiB`;
}
