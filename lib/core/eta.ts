/**
 * How long the rest of a campaign will take: the expected durations of the runs still to do (runtime
 * history of earlier campaigns of the same study, then what this campaign has taught so far), spread
 * over the slots that execute them, and corrected by the pace actually observed.
 *
 * Why not "mean duration so far × runs left": the scheduler runs the longest known runs first, so
 * early runs are longer than the rest and that estimate would overstate the remaining time several
 * fold (the demo's Skewed campaign: 30x between its lightest and heaviest runs).
 */
import type { RunSpec } from './campaign.js';
import type { RuntimeEstimator, RuntimeSample } from './runtime-history.js';

/** A process (or queue unit) executing now: its runs in order, since when. */
export interface InFlightUnit {
  readonly runs: readonly RunSpec[];
  /** Epoch ms. */
  readonly startedAt: number;
}

/** The pace is clamped: one odd run early on must not make the forecast swing by 10x. */
const PACE_LIMITS = { min: 0.25, max: 4 } as const;

/** Above this many pending runs, the sum is recomputed at most once per RECOMPUTE_MS (O(pending) each). */
const LARGE_QUEUE = 2000;
const RECOMPUTE_MS = 1000;

export class RemainingTimeForecast {
  private predictedMs = 0;
  private actualMs = 0;
  private cached: { value: number | null; at: number } | null = null;

  constructor(private readonly estimator: RuntimeEstimator) {}

  /**
   * A run finished ok: the pace compares what was expected of it with what it took (the machine may be
   * busier or faster than in the history), then the estimator learns its duration.
   */
  learn(run: RunSpec, sample: RuntimeSample): void {
    const expected = this.estimator.estimate(run);
    if (expected !== null && expected > 0) {
      this.predictedMs += expected;
      this.actualMs += sample.durationMs;
    }
    this.estimator.learn(sample);
  }

  /** Observed / expected duration of the runs finished so far; 1 until a run with an estimate finished. */
  pace(): number {
    if (this.predictedMs === 0) return 1;
    return Math.min(PACE_LIMITS.max, Math.max(PACE_LIMITS.min, this.actualMs / this.predictedMs));
  }

  private expectedMs(run: RunSpec): number | null {
    return this.estimator.estimate(run) ?? this.estimator.typical();
  }

  /**
   * Expected wall time until the last run ends, in ms; null while nothing at all is known about run
   * durations. The runs are packed onto `slots` (greedy, longest first, as the scheduler does): the
   * time is the work divided by the slots, but never less than the longest single run still to go.
   */
  remainingMs(
    pending: Iterable<RunSpec>,
    inFlight: Iterable<InFlightUnit>,
    slots: number,
    now: number,
    pendingCount: number,
  ): number | null {
    const cached = this.cached;
    if (pendingCount > LARGE_QUEUE && cached !== null && now - cached.at < RECOMPUTE_MS)
      return cached.value === null ? null : Math.max(0, cached.value - (now - cached.at));
    const value = this.compute(pending, inFlight, Math.max(1, slots), now);
    this.cached = { value, at: now };
    return value;
  }

  private compute(
    pending: Iterable<RunSpec>,
    inFlight: Iterable<InFlightUnit>,
    slots: number,
    now: number,
  ): number | null {
    const pace = this.pace();
    let work = 0;
    let longest = 0;
    for (const run of pending) {
      const expected = this.expectedMs(run);
      if (expected === null) return null;
      work += expected * pace;
      longest = Math.max(longest, expected * pace);
    }
    for (const unit of inFlight) {
      let expected = 0;
      for (const run of unit.runs) {
        const ms = this.expectedMs(run);
        if (ms === null) return null;
        expected += ms * pace;
      }
      // A run already past its expected end is expected to end soon, not to have ended.
      const left = Math.max(expected - (now - unit.startedAt), 0);
      work += left;
      longest = Math.max(longest, left);
    }
    return Math.max(work / slots, longest);
  }
}

/**
 * Runs executing at once, estimated from finished runs when the client cannot see the slots (a swarm
 * or cluster shared with other campaigns): the busy time of the recent runs divided by the wall time
 * they span. It errs low by about one run per slot over the window, so the window is large.
 */
export class ObservedParallelism {
  private readonly recent: { startedAt: number; endedAt: number }[] = [];

  constructor(private readonly window = 500) {}

  record(startedAt: number, endedAt: number): void {
    if (!(endedAt >= startedAt)) return;
    this.recent.push({ startedAt, endedAt });
    if (this.recent.length > this.window) this.recent.shift();
  }

  /** Null until two runs finished. */
  slots(): number | null {
    if (this.recent.length < 2) return null;
    let busy = 0;
    let first = Infinity;
    let last = -Infinity;
    for (const run of this.recent) {
      busy += run.endedAt - run.startedAt;
      first = Math.min(first, run.startedAt);
      last = Math.max(last, run.endedAt);
    }
    return last > first ? Math.max(1, busy / (last - first)) : null;
  }
}
