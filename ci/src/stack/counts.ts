/** Two tallies of the same kind as one (a deploy ships or pulls the ops image first, then the apps). */
export function addCounts<T extends { [K in keyof T]: number }>(a: T, b: T | undefined): T {
  if (!b) return a;
  const sum = { ...a };
  for (const key of Object.keys(a) as (keyof T)[]) sum[key] = (a[key] + b[key]) as T[keyof T];
  return sum;
}
