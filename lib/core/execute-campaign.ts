/**
 * The campaign loop: keeps `jobs` units running from the priority queue (each through the one runner,
 * run-unit.ts), retries infrastructure failures with backoff, re-queues skipped batch-mates, and
 * appends each outcome to the manifest before reporting it.
 */
import type { CampaignPlan, RunRecord, RunSpec } from './campaign.js';
import type { CampaignCounts } from './events.js';
import { RemainingTimeForecast, type InFlightUnit } from './eta.js';
import { runtimeSample, type RuntimeEstimator } from './runtime-history.js';
import { PendingRuns } from './schedule.js';
import { readInvocation } from './simulation-args.js';
import { executeUnit, unitArgs, type UnitExecution } from './run-unit.js';
import type { RunExecutor } from '../ports/run-executor.js';
import type { ResultFileStore } from '../ports/result-file-store.js';
import type { ManifestStore } from '../ports/manifest-store.js';
import type { HistoryStore } from '../ports/history-store.js';
import type { CampaignObserver } from '../ports/campaign-observer.js';

export interface ExecutionOptions {
  readonly jobs: number;
  /** `-b`: most runs per process; batching happens only when start-up cost dominates. */
  readonly maxBatchSize: number;
  /** Per-run wall-clock limit; null for none. */
  readonly runTimeoutMs: number | null;
  /** Extra attempts for runs lost to infrastructure (signal, out of memory, timeout). */
  readonly maxRetries: number;
  readonly retryDelayMs: number;
  readonly sessionId: string;
  readonly fingerprint: string;
}

export interface CampaignDeps {
  readonly executor: RunExecutor;
  readonly files: ResultFileStore;
  readonly manifest: ManifestStore;
  readonly history: HistoryStore;
  readonly observer: CampaignObserver;
  readonly now: () => number;
}

export interface CampaignOutcome {
  readonly counts: CampaignCounts;
  /** Final records of the runs that did not succeed, in run order. */
  readonly problems: readonly RunRecord[];
  readonly elapsedMs: number;
}

/** Resolves when any wake() happened since the last wait. */
class Wakeup {
  private resolve: (() => void) | null = null;
  private pending = false;
  wake(): void {
    this.pending = true;
    this.resolve?.();
  }
  async wait(): Promise<void> {
    if (!this.pending) await new Promise<void>((r) => (this.resolve = r));
    this.pending = false;
    this.resolve = null;
  }
}

function* concat<T>(...iterables: Iterable<T>[]): Iterable<T> {
  for (const items of iterables) yield* items;
}

export async function executeCampaign(
  plan: CampaignPlan,
  todo: readonly RunSpec[],
  reused: number,
  reasons: Readonly<Record<string, number>>,
  estimator: RuntimeEstimator,
  options: ExecutionOptions,
  deps: CampaignDeps,
  stop: AbortSignal,
): Promise<CampaignOutcome> {
  const started = deps.now();
  const invocation = readInvocation(plan.args);
  const queue = new PendingRuns(todo, estimator, {
    jobs: options.jobs,
    maxBatchSize: options.maxBatchSize,
    startupMs: plan.startupMs,
  });
  const attempts = new Map<number, number>();
  // Only the runs that did not succeed are kept in memory: a 100,000-run campaign must not hold 100,000 records.
  const problems = new Map<number, RunRecord>();
  const counts = {
    total: todo.length + reused,
    reused,
    ok: 0,
    failed: 0,
    lost: 0,
    interrupted: 0,
    running: 0,
  };
  const forecast = new RemainingTimeForecast(estimator);
  const wakeup = new Wakeup();
  /** Runs waiting out their retry delay, by timer. */
  const retryTimers = new Map<ReturnType<typeof setTimeout>, RunSpec>();
  const inFlightUnits = new Set<InFlightUnit>();
  let inFlight = 0;
  let stopping = stop.aborted;

  const onStop = () => {
    stopping = true;
    for (const timer of retryTimers.keys()) clearTimeout(timer);
    retryTimers.clear();
    wakeup.wake();
  };
  stop.addEventListener('abort', onStop, { once: true });

  const etaMs = (): number | null =>
    forecast.remainingMs(
      concat(queue.pending(), retryTimers.values()),
      inFlightUnits,
      options.jobs,
      deps.now(),
      queue.size + retryTimers.size,
    );

  const runsByNumber = new Map(todo.map((run) => [run.runNumber, run]));
  const finish = async (record: RunRecord) => {
    const run = runsByNumber.get(record.runNumber);
    if (run === undefined)
      throw new Error(`record of run ${record.runNumber}, which is not in this campaign`);
    await deps.manifest.append(record);
    if (record.status === 'ok') {
      const sample = runtimeSample(plan.campaignId, run, record.durationMs);
      forecast.learn(run, sample);
      await deps.history.append([sample]);
    }
    if (record.status === 'lost' && record.attempt <= options.maxRetries && !stopping) {
      const delayMs = options.retryDelayMs * 2 ** (record.attempt - 1);
      deps.observer.notify({
        type: 'run-retry',
        runNumber: run.runNumber,
        attempt: record.attempt + 1,
        reason: record.failure?.message ?? 'lost',
        delayMs,
      });
      const timer = setTimeout(() => {
        retryTimers.delete(timer);
        queue.requeueFront([run]);
        wakeup.wake();
      }, delayMs);
      retryTimers.set(timer, run);
      return;
    }
    if (record.status === 'ok') problems.delete(run.runNumber);
    else problems.set(run.runNumber, record);
    counts[record.status] += 1;
    deps.observer.notify({ type: 'run-finished', record, counts: { ...counts }, etaMs: etaMs() });
  };

  /** Starts the unit's process; resolves when the process has ended and its slot is free again. */
  const startUnit = (unit: RunSpec[]): Promise<UnitExecution> => {
    for (const run of unit) attempts.set(run.runNumber, (attempts.get(run.runNumber) ?? 0) + 1);
    const request = {
      runs: unit,
      invocation,
      runTimeoutMs: options.runTimeoutMs,
      attemptOf: (runNumber: number) => attempts.get(runNumber) ?? 1,
      sessionId: options.sessionId,
      fingerprint: options.fingerprint,
    };
    deps.observer.notify({
      type: 'process-started',
      runNumbers: unit.map((r) => r.runNumber),
      argv: [plan.program, ...unitArgs(request)],
    });
    return executeUnit(request, deps, stop);
  };

  /** Batch-mates that never started go back to the front at once, before the freed slot takes work. */
  const requeueSkipped = (skipped: readonly RunSpec[]) => {
    for (const run of skipped) attempts.set(run.runNumber, (attempts.get(run.runNumber) ?? 1) - 1);
    if (skipped.length > 0 && !stopping) queue.requeueFront(skipped);
  };

  deps.observer.notify({
    type: 'campaign-started',
    campaignId: plan.campaignId,
    configName: plan.configName,
    resultDir: plan.resultDir,
    total: counts.total,
    toRun: todo.length,
    reasons,
    jobs: options.jobs,
  });

  // Held in an object: TypeScript does not see assignments made in the callbacks below.
  const fatal: { error: Error | null } = { error: null };
  const onFatal = (error: unknown) => {
    // A broken store or executor must stop the campaign, not be mistaken for a run failure.
    fatal.error ??= error instanceof Error ? error : new Error(String(error));
    onStop();
  };
  let settling = 0;
  for (;;) {
    // Backpressure: runs whose results are still being recorded count against a second allowance, so
    // a campaign of very short runs cannot outpace its own manifest.
    while (!stopping && inFlight < options.jobs && settling < options.jobs * 3 && queue.size > 0) {
      const unit = queue.take();
      const unitInFlight: InFlightUnit = { runs: unit, startedAt: deps.now() };
      inFlightUnits.add(unitInFlight);
      inFlight += 1;
      counts.running += unit.length;
      settling += 1;
      let slotFreed = false;
      const freeSlot = () => {
        if (slotFreed) return;
        slotFreed = true;
        inFlightUnits.delete(unitInFlight);
        inFlight -= 1;
        counts.running -= unit.length;
        wakeup.wake();
      };
      startUnit(unit)
        .then(async (ended) => {
          // The slot is free as soon as the process has ended: the next run starts while this one's
          // result files are checksummed and recorded.
          requeueSkipped(ended.skipped);
          freeSlot();
          for (const record of await ended.settle()) await finish(record);
        })
        .catch(onFatal)
        .finally(() => {
          freeSlot();
          settling -= 1;
          wakeup.wake();
        });
    }
    const idle = inFlight === 0 && settling === 0;
    if (idle && (stopping || (queue.size === 0 && retryTimers.size === 0))) break;
    await wakeup.wait();
  }
  stop.removeEventListener('abort', onStop);
  for (const timer of retryTimers.keys()) clearTimeout(timer);
  if (fatal.error !== null) throw fatal.error;

  const elapsedMs = deps.now() - started;
  deps.observer.notify({ type: 'campaign-finished', counts: { ...counts }, elapsedMs });
  return {
    counts: { ...counts },
    problems: [...problems.values()].sort((a, b) => a.runNumber - b.runNumber),
    elapsedMs,
  };
}
