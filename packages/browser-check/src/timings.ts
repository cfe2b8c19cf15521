import type { Page } from "playwright-core";

/** Milliseconds from the start of the navigation, as the page's own Navigation Timing says; null when not reached. */
export interface PageTimings {
  firstByteMs: number | null;
  domContentLoadedMs: number | null;
  loadMs: number | null;
}

export const NO_TIMINGS: PageTimings = { firstByteMs: null, domContentLoadedMs: null, loadMs: null };

/** Reads the navigation's timings from the page; what the page has not reached yet is null. */
export async function readTimings(page: Page, timeoutMs: number): Promise<PageTimings> {
  const read = page.evaluate(() => {
    // Runs in the page: its Navigation Timing entry (this project's types know no DOM).
    type Entry = { responseStart: number; domContentLoadedEventEnd: number; loadEventEnd: number };
    const entry = (performance as unknown as { getEntriesByType(type: string): Entry[] }).getEntriesByType(
      "navigation",
    )[0];
    if (!entry) return null;
    const at = (value: number) => (value > 0 ? Math.round(value) : null);
    return {
      firstByteMs: at(entry.responseStart),
      domContentLoadedMs: at(entry.domContentLoadedEventEnd),
      loadMs: at(entry.loadEventEnd),
    };
  });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), timeoutMs);
  });
  try {
    return (await Promise.race([read, late])) ?? NO_TIMINGS;
  } catch {
    // A page that never loaded has no timings to give.
    return NO_TIMINGS;
  } finally {
    clearTimeout(timer);
  }
}
