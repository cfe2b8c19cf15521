/** Each phase of the e2e prints its duration, and the run's total, so slow steps are visible in CI. */
const phases: { name: string; seconds: number }[] = [];

export async function phase<T>(name: string, body: () => Promise<T>): Promise<T> {
  const started = performance.now();
  console.log(`[e2e] ${name}...`);
  try {
    return await body();
  } finally {
    const seconds = (performance.now() - started) / 1000;
    phases.push({ name, seconds });
    console.log(`[e2e] ${name}: ${seconds.toFixed(1)} s`);
  }
}

export function phaseSummary(): string {
  const total = phases.reduce((sum, entry) => sum + entry.seconds, 0);
  return [
    ...phases.map((entry) => `  ${entry.seconds.toFixed(1).padStart(7)} s  ${entry.name}`),
    `  ${total.toFixed(1).padStart(7)} s  total`,
  ].join("\n");
}
