/**
 * An operator names a release by a short SHA (`--to 3f2c1e9`); images are tagged with the full one.
 * Resolves the prefix against the commits of the ledger.
 */
export function resolveRelease(name: string, ledgerCommits: readonly string[]): string {
  const wanted = name.trim().toLowerCase();
  if (!/^[0-9a-f]{7,40}$/.test(wanted)) {
    throw new Error(`--to: "${name}" is not a commit SHA (7 to 40 hex digits); see lh-ci stack ops -- releases list`);
  }
  const matches = [...new Set(ledgerCommits.map((c) => c.toLowerCase()).filter((c) => c.startsWith(wanted)))];
  if (matches.length === 1) return matches[0] as string;
  if (matches.length === 0) {
    throw new Error(
      `--to: no release ${name} in the ledger; its images may not be on the target (see lh-ci stack ops -- releases list), deploy that commit instead`,
    );
  }
  throw new Error(`--to: ${name} matches ${matches.length} releases (${matches.join(", ")}); give more digits`);
}
