/** Durations as operators write them on the command line: `500ms`, `5s`, `30m`, `2h`, `7d` (a bare number is seconds). */
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Milliseconds for a duration, or undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? "s") as keyof typeof UNIT_MS;
  const ms = Number(match[1]) * UNIT_MS[unit];
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) : undefined;
}

/**
 * `1.5s`, `30m`, `2h 5m`: short and exact enough for a status line. Each form is rounded before
 * it is chosen, so 119.6 s reads `2m`, never `1m 60s`, and 59.97 s reads `1m`, never `60s`.
 */
export function formatDuration(ms: number): string {
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`;
  const fine = Number((ms / 1000).toFixed(2));
  if (fine < 10) return `${fine}s`;
  const tenths = Number((ms / 1000).toFixed(1));
  if (tenths < 60) return `${tenths}s`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 3600) {
    const seconds = totalSeconds % 60;
    const minutes = Math.floor(totalSeconds / 60);
    return seconds ? `${minutes}m ${seconds}s` : `${minutes}m`;
  }
  const totalMinutes = Math.round(ms / 60_000);
  const rest = totalMinutes % 60;
  return rest ? `${Math.floor(totalMinutes / 60)}h ${rest}m` : `${Math.floor(totalMinutes / 60)}h`;
}
