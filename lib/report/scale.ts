/** Scales from data to SVG coordinates and the tick values axes print. */

export interface Scale {
  /** Data value to pixel; values outside the domain map outside the range. */
  readonly map: (value: number) => number;
  readonly domain: readonly [number, number];
  readonly range: readonly [number, number];
  readonly log: boolean;
}

/** A domain of zero width is widened so nothing divides by zero (one run, or runs of equal length). */
function widen([lo, hi]: readonly [number, number]): [number, number] {
  if (hi > lo) return [lo, hi];
  if (lo === 0) return [0, 1];
  const pad = Math.abs(lo) * 0.1;
  return [lo - pad, hi + pad];
}

export function linearScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = widen(domain);
  const [r0, r1] = range;
  return {
    map: (value) => r0 + ((value - d0) / (d1 - d0)) * (r1 - r0),
    domain: [d0, d1],
    range,
    log: false,
  };
}

/** Logarithmic; the domain must be positive (callers clamp durations to at least 1 ms). */
export function logScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = widen([Math.log10(domain[0]), Math.log10(domain[1])]);
  const [r0, r1] = range;
  return {
    map: (value) => r0 + ((Math.log10(value) - d0) / (d1 - d0)) * (r1 - r0),
    domain: [10 ** d0, 10 ** d1],
    range,
    log: true,
  };
}

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
/** Durations people count in: a tick every 15 s or 5 min reads better than every 12.5 s. */
const NICE_DURATIONS_MS = [
  1,
  2,
  5,
  10,
  20,
  50,
  100,
  200,
  500,
  S,
  2 * S,
  5 * S,
  10 * S,
  15 * S,
  30 * S,
  MIN,
  2 * MIN,
  5 * MIN,
  10 * MIN,
  15 * MIN,
  30 * MIN,
  H,
  2 * H,
  3 * H,
  6 * H,
  12 * H,
  24 * H,
  48 * H,
  7 * 24 * H,
];

/** Multiples of a nice step inside [lo, hi], at most about `maxTicks` of them. */
export function durationTicks(lo: number, hi: number, maxTicks: number): number[] {
  if (!(hi > lo)) return [lo];
  const span = hi - lo;
  const step =
    NICE_DURATIONS_MS.find((candidate) => span / candidate <= maxTicks) ?? niceStep(span / maxTicks);
  return multiplesBetween(lo, hi, step);
}

/**
 * Ticks for a log axis of durations: the nice durations inside the domain, skipping any that would
 * sit closer than `minGapPx` to the previous one (the decades crowd together on a log axis).
 */
export function logDurationTicks(scale: Scale, minGapPx: number): number[] {
  const [lo, hi] = scale.domain;
  const ticks: number[] = [];
  for (const value of NICE_DURATIONS_MS) {
    if (value < lo || value > hi) continue;
    const last = ticks.at(-1);
    if (last === undefined || Math.abs(scale.map(value) - scale.map(last)) >= minGapPx) ticks.push(value);
  }
  return ticks;
}

/** Integer ticks from 0 for a count axis; the last tick is at or above `max` (the axis top). */
export function countTicks(max: number, maxTicks: number): number[] {
  if (max <= 0) return [0, 1];
  const step = Math.max(1, niceStep(max / maxTicks));
  const top = Math.ceil(max / step) * step;
  return multiplesBetween(0, top, step);
}

/** 1, 2 or 5 times a power of ten, at least `rough`. */
export function niceStep(rough: number): number {
  if (!(rough > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(rough));
  const mantissa = rough / power;
  const nice = mantissa <= 1 ? 1 : mantissa <= 2 ? 2 : mantissa <= 5 ? 5 : 10;
  return nice * power;
}

function multiplesBetween(lo: number, hi: number, step: number): number[] {
  const ticks: number[] = [];
  // The small tolerance keeps `hi` itself when floating point puts the last multiple a hair above it.
  for (let k = Math.ceil(lo / step); k * step <= hi + step * 1e-9; k++) ticks.push(k * step);
  return ticks;
}
