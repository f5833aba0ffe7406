/**
 * Dynamic, longest-expected-first scheduling. There are no static batches: a free slot takes the
 * next unit from the front of one priority queue, so a long run never waits behind a fixed batch.
 *
 * Order: runs with no estimate first, in run order (probing them early bounds the damage of a huge
 * unknown run at the end); then known runs by decreasing expected duration (the LPT rule, which keeps
 * the makespan within 4/3 of optimal). Retries and skipped batch-mates return to the front.
 *
 * Batching: several runs share one process only when the program's start-up cost would otherwise
 * dominate, i.e. when the expected run is shorter than a few start-ups.
 */
import type { RunSpec } from './campaign.js';
import type { RuntimeEstimator } from './runtime-history.js';

export interface ScheduleOptions {
  /** Upper bound of runs per process (`-b`); 1 disables batching. */
  readonly maxBatchSize: number;
  /** Program start-up cost in ms (measured by timing its queries). */
  readonly startupMs: number;
  readonly jobs: number;
}

/** Start-up may cost at most this share of a batch's time before we stop growing the batch. */
const STARTUP_SHARE = 0.1;

export function priorityOrder(runs: readonly RunSpec[], estimator: RuntimeEstimator): RunSpec[] {
  const unknown = runs.filter((r) => !estimator.knows(r));
  const known = runs
    .filter((r) => estimator.knows(r))
    .sort((a, b) => (estimator.estimate(b) ?? 0) - (estimator.estimate(a) ?? 0) || a.runNumber - b.runNumber);
  return [...unknown.sort((a, b) => a.runNumber - b.runNumber), ...known];
}

/** How many runs of expected duration `expectedMs` to put into one process. */
export function batchSizeFor(expectedMs: number | null, remaining: number, options: ScheduleOptions): number {
  if (options.maxBatchSize <= 1 || expectedMs === null) return 1;
  const wanted = Math.ceil(
    ((1 - STARTUP_SHARE) / STARTUP_SHARE) * (options.startupMs / Math.max(expectedMs, 1)),
  );
  // Keep enough units for every slot near the end, or batching would recreate opp_runall's tail.
  const balanced = Math.max(1, Math.floor(remaining / (options.jobs * 4)));
  return Math.max(1, Math.min(wanted, options.maxBatchSize, balanced));
}

/** The campaign's pending runs in priority order. */
export class PendingRuns {
  private readonly ordered: RunSpec[];
  /** Next index into `ordered`; an index instead of shift(), which is O(n) on a 100,000-run queue. */
  private head = 0;
  /** Requeued runs, taken before `ordered`; kept reversed so that pop() yields them in order. */
  private readonly front: RunSpec[] = [];

  constructor(
    runs: readonly RunSpec[],
    private readonly estimator: RuntimeEstimator,
    private readonly options: ScheduleOptions,
  ) {
    this.ordered = priorityOrder(runs, estimator);
  }

  get size(): number {
    return this.front.length + this.ordered.length - this.head;
  }

  /** Puts runs back at the front (retries, skipped batch-mates), keeping their relative order. */
  requeueFront(runs: readonly RunSpec[]): void {
    for (let i = runs.length - 1; i >= 0; i--) {
      const run = runs[i];
      if (run !== undefined) this.front.push(run);
    }
  }

  /** The pending runs, in no particular order (for forecasts; taking runs is take()). */
  *pending(): Iterable<RunSpec> {
    yield* this.front;
    for (let i = this.head; i < this.ordered.length; i++) {
      const run = this.ordered[i];
      if (run !== undefined) yield run;
    }
  }

  private peek(): RunSpec | undefined {
    return this.front.at(-1) ?? this.ordered[this.head];
  }

  private shift(): RunSpec | undefined {
    if (this.front.length > 0) return this.front.pop();
    return this.head < this.ordered.length ? this.ordered[this.head++] : undefined;
  }

  /** Takes the next unit of work: one run, or a batch of short runs that follow each other. */
  take(): RunSpec[] {
    const first = this.shift();
    if (first === undefined) return [];
    const expected = this.estimator.estimate(first) ?? this.estimator.typical();
    const size = batchSizeFor(expected, this.size + 1, this.options);
    const unit = [first];
    while (unit.length < size) {
      const next = this.peek();
      if (next === undefined || next.configName !== first.configName) break;
      unit.push(next);
      this.shift();
    }
    return unit;
  }
}
