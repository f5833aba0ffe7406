/**
 * Expected run durations, learnt from earlier campaigns (the project-local runtime history) and from
 * runs already finished in this one. The scheduler only needs a ranking and a rough size, so the model
 * is deliberately simple: the latest duration of the same run, else the mean of runs with the same
 * parameters (any repetition), else the median of the config.
 */
import type { RunSpec } from './campaign.js';

/** One finished run's duration, as kept in the history store. */
export interface RuntimeSample {
  /** Identifies the program and its arguments (campaign id), so different studies do not mix. */
  readonly campaignId: string;
  readonly configName: string;
  readonly runNumber: number;
  /** The run's variables without `$repetition`: runs that differ only in the seed cost alike. */
  readonly parameterKey: string;
  readonly durationMs: number;
}

/** `$numHosts=10, $iaMean=1, $repetition=2` -> `$numHosts=10, $iaMean=1`. */
export function parameterKey(run: Pick<RunSpec, 'variables'>): string {
  return run.variables
    .filter((v) => v.name !== 'repetition')
    .map((v) => `$${v.name}=${v.value}`)
    .join(', ');
}

/** What a finished run teaches about run times: its duration, under its campaign and parameters. */
export function runtimeSample(campaignId: string, run: RunSpec, durationMs: number): RuntimeSample {
  return {
    campaignId,
    configName: run.configName,
    runNumber: run.runNumber,
    parameterKey: parameterKey(run),
    durationMs,
  };
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? null) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export class RuntimeEstimator {
  private readonly byRun = new Map<number, number>();
  private readonly byParameters = new Map<string, { sum: number; count: number }>();
  private readonly all: number[] = [];
  private typicalCache: { value: number | null; basedOn: number } = { value: null, basedOn: 0 };

  constructor(
    private readonly campaignId: string,
    private readonly configName: string,
    history: Iterable<RuntimeSample>,
  ) {
    for (const sample of history) this.learn(sample);
  }

  /** Adds a finished run's duration; samples of other campaigns or configs are ignored. */
  learn(sample: RuntimeSample): void {
    if (sample.campaignId !== this.campaignId || sample.configName !== this.configName) return;
    this.byRun.set(sample.runNumber, sample.durationMs);
    const entry = this.byParameters.get(sample.parameterKey) ?? { sum: 0, count: 0 };
    entry.sum += sample.durationMs;
    entry.count += 1;
    this.byParameters.set(sample.parameterKey, entry);
    this.all.push(sample.durationMs);
  }

  /** Expected wall time of the run in ms, or null when nothing is known about it yet. */
  estimate(run: RunSpec): number | null {
    const exact = this.byRun.get(run.runNumber);
    if (exact !== undefined) return exact;
    const similar = this.byParameters.get(parameterKey(run));
    if (similar !== undefined) return similar.sum / similar.count;
    return null;
  }

  /**
   * Median of every known duration of this config, the fallback for runs never seen. Recomputed only
   * when the sample has grown by a sixteenth: it is asked for every dispatched run, and sorting 20,000
   * durations 20,000 times would cost more than the runs.
   */
  typical(): number | null {
    const { basedOn } = this.typicalCache;
    if (this.all.length > basedOn && this.all.length - basedOn >= Math.max(1, basedOn / 16)) {
      this.typicalCache = { value: median(this.all), basedOn: this.all.length };
    }
    return this.typicalCache.value;
  }

  /** Whether anything at all is known about the run (exact or by parameters). */
  knows(run: RunSpec): boolean {
    return this.estimate(run) !== null;
  }
}
