/** Summary statistics and histogram bins for run times. */

/**
 * The q-quantile of ascending `sorted` values, interpolating between the two nearest ranks (the
 * method of R's default and numpy's `linear`), so the median of 1, 2, 3, 4 is 2.5. NaN when empty.
 */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const lower = sorted[below] as number;
  const upper = sorted[Math.min(below + 1, sorted.length - 1)] as number;
  return lower + (upper - lower) * (position - below);
}

/** `count` bins from `lo` to `hi`, equal in width, or equal in ratio when `log` (lo must be > 0). */
export function binEdges(lo: number, hi: number, count: number, log: boolean): number[] {
  // The ends are set exactly: computed, `hi` can land a hair below itself and lose the maximum.
  return Array.from({ length: count + 1 }, (_, i) => {
    if (i === 0) return lo;
    if (i === count) return hi;
    return log ? lo * (hi / lo) ** (i / count) : lo + ((hi - lo) * i) / count;
  });
}

/**
 * How many values fall in each bin of `edges` (ascending). A bin holds [edge, next edge); the last
 * one also holds its upper edge, so the maximum is counted. Values outside are left out.
 */
export function histogram(values: readonly number[], edges: readonly number[]): number[] {
  const counts = new Array<number>(Math.max(0, edges.length - 1)).fill(0);
  const last = counts.length - 1;
  for (const value of values) {
    // Binary search: bins on a log axis are not evenly spaced in value.
    let lo = 0;
    let hi = last;
    if (last < 0 || value < (edges[0] as number) || value > (edges[last + 1] as number)) continue;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (value >= (edges[mid] as number)) lo = mid;
      else hi = mid - 1;
    }
    counts[lo] = (counts[lo] ?? 0) + 1;
  }
  return counts;
}
