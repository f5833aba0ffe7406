/** How the report prints numbers: durations in the largest sensible unit, timestamps in UTC. */

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** `850 ms`, `2.5 s`, `42 s`, `3 min 12 s`, `2 h 5 min`; zero sub-units are left out (`5 min`). */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 0) return `-${formatDuration(-ms)}`;
  // Each branch rounds first and checks the rounded value, so 59.7 s prints as `1 min`, not `60 s`.
  if (Math.round(ms) < SECOND) return `${Math.round(ms)} ms`;
  const tenths = Math.round(ms / 100) / 10;
  if (tenths < 10) return `${trimZero(tenths.toFixed(1))} s`;
  const seconds = Math.round(ms / SECOND);
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return joinUnits(Math.floor(seconds / 60), 'min', seconds % 60, 's');
  const minutes = Math.round(ms / MINUTE);
  return joinUnits(Math.floor(minutes / 60), 'h', minutes % 60, 'min');
}

function trimZero(fixed: string): string {
  return fixed.endsWith('.0') ? fixed.slice(0, -2) : fixed;
}

function joinUnits(major: number, majorUnit: string, minor: number, minorUnit: string): string {
  return minor === 0 ? `${major} ${majorUnit}` : `${major} ${majorUnit} ${minor} ${minorUnit}`;
}

/** ISO 8601 in UTC, to the second: `2026-11-24T09:00:00Z`. */
export function formatUtc(epochMs: number): string {
  if (!Number.isFinite(epochMs)) return '–';
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `87%`; `<1%` rather than a misleading `0%` when there is some. Null (no denominator) prints `–`. */
export function formatPercent(fraction: number | null): string {
  if (fraction === null || !Number.isFinite(fraction)) return '–';
  const percent = Math.round(fraction * 100);
  if (percent === 0 && fraction > 0) return '<1%';
  return `${percent}%`;
}

export function formatUsd(usd: number): string {
  if (!Number.isFinite(usd)) return '–';
  return `$${usd.toFixed(2)}`;
}

/** `20,000`: thousands separated, locale-independent. */
export function formatCount(count: number): string {
  if (!Number.isFinite(count)) return '–';
  return Math.round(count)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `3`, `1.25`: at most two decimals, no trailing zeros. */
export function formatDecimal(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return String(Math.round(value * 100) / 100);
}
