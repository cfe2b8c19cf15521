/**
 * The metric names a Prometheus text exposition declares or samples: `# TYPE` families (with the
 * series names a histogram or summary family produces) and every sample line's name.
 */
export function exposedMetricNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      const [, family = "", kind] = type;
      names.add(family);
      if (kind === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(family + suffix);
      if (kind === "summary") for (const suffix of ["_sum", "_count"]) names.add(family + suffix);
      continue;
    }
    const sample = /^([A-Za-z_:][\w:]*)[{\s]/.exec(line);
    if (sample?.[1]) names.add(sample[1]);
  }
  return names;
}
