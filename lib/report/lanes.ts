/**
 * The arithmetic behind the timeline: runs packed into lanes (a lane is one slot that runs one thing
 * at a time), how busy a host was, where its lanes sat idle, and thinning bars too narrow to see.
 */

export interface Interval {
  readonly start: number;
  readonly end: number;
}

export interface LanePacking {
  /** The lane of each interval, in input order. */
  readonly lanes: readonly number[];
  readonly laneCount: number;
}

/**
 * Greedy interval partitioning: by start time, each interval takes the lowest-numbered lane that is
 * free by then (an interval ending when the next starts leaves the lane free), else opens a lane.
 * This opens exactly as many lanes as the most intervals running at one moment, so a host's lane
 * count is the concurrency it showed. Lowest-numbered keeps the first lanes full and the idle time
 * in the last ones, which is how it reads best. O(n log n + n × lanes); lanes are a host's cores.
 */
export function packLanes(intervals: readonly Interval[]): LanePacking {
  const order = intervals
    .map((_, index) => index)
    .sort(
      (a, b) => startOf(intervals, a) - startOf(intervals, b) || endOf(intervals, a) - endOf(intervals, b),
    );
  const laneEnds: number[] = [];
  const lanes = new Array<number>(intervals.length).fill(0);
  for (const index of order) {
    const start = startOf(intervals, index);
    let lane = laneEnds.findIndex((end) => end <= start);
    if (lane === -1) lane = laneEnds.push(0) - 1;
    laneEnds[lane] = endOf(intervals, index);
    lanes[index] = lane;
  }
  return { lanes, laneCount: laneEnds.length };
}

function startOf(intervals: readonly Interval[], index: number): number {
  return (intervals[index] as Interval).start;
}

/** An interval that ends before it starts (clock skew between machines) counts as a moment. */
function endOf(intervals: readonly Interval[], index: number): number {
  const interval = intervals[index] as Interval;
  return Math.max(interval.start, interval.end);
}

export interface IdleGap extends Interval {
  readonly lane: number;
}

export interface LaneUsage {
  readonly laneCount: number;
  /** Sum of the intervals' lengths. */
  readonly busyMs: number;
  /** busy / (lanes × span); null when that is zero (nothing ran, or everything in one instant). */
  readonly utilisation: number | null;
  readonly idleGaps: readonly IdleGap[];
  readonly idleMs: number;
}

/**
 * How one host used its lanes over `span` (the time its session had work: first start to last end).
 * An idle gap is a stretch longer than `minGapMs` in which a lane ran nothing: before its first run,
 * between two runs, or after its last while other hosts still worked.
 */
export function laneUsage(
  intervals: readonly Interval[],
  packing: LanePacking,
  span: Interval,
  minGapMs: number,
): LaneUsage {
  const byLane: Interval[][] = Array.from({ length: packing.laneCount }, () => []);
  let busyMs = 0;
  intervals.forEach((interval, index) => {
    byLane[packing.lanes[index] ?? 0]?.push(interval);
    busyMs += Math.max(0, interval.end - interval.start);
  });
  const idleGaps: IdleGap[] = [];
  byLane.forEach((laneIntervals, lane) => {
    let cursor = span.start;
    for (const interval of laneIntervals.sort((a, b) => a.start - b.start)) {
      if (interval.start - cursor > minGapMs) idleGaps.push({ lane, start: cursor, end: interval.start });
      cursor = Math.max(cursor, interval.end);
    }
    if (span.end - cursor > minGapMs) idleGaps.push({ lane, start: cursor, end: span.end });
  });
  const capacity = packing.laneCount * (span.end - span.start);
  return {
    laneCount: packing.laneCount,
    busyMs,
    utilisation: capacity > 0 ? busyMs / capacity : null,
    idleGaps,
    idleMs: idleGaps.reduce((sum, gap) => sum + gap.end - gap.start, 0),
  };
}

export interface MergedBar<T> extends Interval {
  readonly members: readonly T[];
}

/**
 * Bars of one lane (sorted by start) with neighbours narrower than `minPx` merged: 20,000 runs on a
 * 1,100 px axis cannot all be seen, and each drawn bar costs markup. Only bars that are both narrow
 * merge, and only across a gap narrower than `minPx`, so a long run is never swallowed by a short
 * one next to it. Every bar drawn is then wide, or followed by a visible gap or a wide bar, which
 * bounds a lane to about twice its pixel width in bars.
 */
export function mergeNarrowBars<T extends Interval>(
  sorted: readonly T[],
  toPx: (time: number) => number,
  minPx: number,
): MergedBar<T>[] {
  const merged: MergedBar<T>[] = [];
  let group: { start: number; end: number; members: T[] } | null = null;
  for (const bar of sorted) {
    const narrow = toPx(bar.end) - toPx(bar.start) < minPx;
    if (
      group !== null &&
      narrow &&
      toPx(group.end) - toPx(group.start) < minPx &&
      toPx(bar.start) - toPx(group.end) < minPx
    ) {
      group.end = Math.max(group.end, bar.end);
      group.members.push(bar);
      continue;
    }
    if (group !== null) merged.push(group);
    group = { start: bar.start, end: bar.end, members: [bar] };
  }
  if (group !== null) merged.push(group);
  return merged;
}
