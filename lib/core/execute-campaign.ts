/**
 * The campaign loop shared by every backend: keeps `jobs` processes busy from the priority queue,
 * classifies every run, retries infrastructure failures, re-queues skipped batch-mates, and appends
 * each outcome to the manifest before reporting it. Processes are started through the RunExecutor
 * port, so the same loop drives local processes and (later) swarm runners.
 */
import type { CampaignPlan, RunRecord, RunSpec } from './campaign.js';
import type { CampaignCounts } from './events.js';
import { parseCmdenvOutput, startedRunsInBatch } from './omnetpp-output.js';
import { classifyRun, type RunPosition } from './outcome.js';
import { parameterKey, type RuntimeEstimator, type RuntimeSample } from './runtime-history.js';
import { RunQueue } from './schedule.js';
import { readInvocation, runArgs } from './simulation-args.js';
import type { RunExecutor, Execution } from '../ports/run-executor.js';
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
  const queue = new RunQueue(todo, estimator, {
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
  const finished = { durationMs: 0, count: 0 };
  const wakeup = new Wakeup();
  const retryTimers = new Set<ReturnType<typeof setTimeout>>();
  let inFlight = 0;
  let stopping = stop.aborted;

  const onStop = () => {
    stopping = true;
    for (const timer of retryTimers) clearTimeout(timer);
    retryTimers.clear();
    wakeup.wake();
  };
  stop.addEventListener('abort', onStop, { once: true });

  const etaMs = (): number | null => {
    const typical = finished.count > 0 ? finished.durationMs / finished.count : estimator.typical();
    if (typical === null) return null;
    return ((queue.size + retryTimers.size + counts.running) * typical) / options.jobs;
  };

  const finish = async (record: RunRecord, run: RunSpec) => {
    await deps.manifest.append(record);
    if (record.status === 'ok') {
      const sample: RuntimeSample = {
        campaignId: plan.campaignId,
        configName: run.configName,
        runNumber: run.runNumber,
        parameterKey: parameterKey(run),
        durationMs: record.durationMs,
      };
      estimator.learn(sample);
      finished.durationMs += record.durationMs;
      finished.count += 1;
      await deps.history.append([sample]);
    }
    if (record.status === 'lost' && (attempts.get(run.runNumber) ?? 0) <= options.maxRetries && !stopping) {
      const attempt = attempts.get(run.runNumber) ?? 1;
      const delayMs = options.retryDelayMs * 2 ** (attempt - 1);
      deps.observer.notify({
        type: 'run-retry',
        runNumber: run.runNumber,
        attempt: attempt + 1,
        reason: record.failure?.message ?? 'lost',
        delayMs,
      });
      const timer = setTimeout(() => {
        retryTimers.delete(timer);
        queue.requeueFront([run]);
        wakeup.wake();
      }, delayMs);
      retryTimers.add(timer);
      return;
    }
    if (record.status === 'ok') problems.delete(run.runNumber);
    else problems.set(run.runNumber, record);
    counts[record.status] += 1;
    deps.observer.notify({ type: 'run-finished', record, counts: { ...counts }, etaMs: etaMs() });
  };

  /** Starts the unit's process; resolves when the process has ended (its slot is free again). */
  const startUnit = (unit: RunSpec[]): Promise<Execution> => {
    for (const run of unit) attempts.set(run.runNumber, (attempts.get(run.runNumber) ?? 0) + 1);
    const args = runArgs(
      invocation,
      unit.map((r) => r.runNumber),
    );
    const timeoutMs = options.runTimeoutMs === null ? null : options.runTimeoutMs * unit.length;
    deps.observer.notify({
      type: 'process-started',
      runNumbers: unit.map((r) => r.runNumber),
      argv: [plan.program, ...args],
    });
    return deps.executor.execute({ args, timeoutMs }, stop);
  };

  /**
   * Batch-mates the program never started (it stops a batch at the first error) go back to the front
   * of the queue at once, before the freed slot takes new work.
   */
  const requeueSkipped = (unit: RunSpec[], execution: Execution): RunSpec[] => {
    if (unit.length === 1 || execution.spawnError !== null) return unit;
    const announced = startedRunsInBatch(execution.stdout);
    const skipped = unit.filter((run) => positionOf(run.runNumber, unit.length, announced) === 'not-started');
    for (const run of skipped) attempts.set(run.runNumber, (attempts.get(run.runNumber) ?? 1) - 1);
    if (skipped.length > 0 && !stopping) queue.requeueFront(skipped);
    return unit.filter((run) => !skipped.includes(run));
  };

  /** Classifies, checksums and records the started runs of an ended process, off the slot's critical path. */
  const settleUnit = async (unit: RunSpec[], started: RunSpec[], execution: Execution) => {
    const announced = startedRunsInBatch(execution.stdout);
    for (const run of started) {
      const position = positionOf(run.runNumber, unit.length, announced);
      const outText = await deps.files.readOutput(run.resultStem, execution.startedAt);
      const output = parseCmdenvOutput(outText ?? (unit.length === 1 ? execution.stdout : ''));
      const hasOutput = outText !== null || (unit.length === 1 && execution.stdout !== '');
      const verdict = classifyRun(execution, hasOutput ? output : null, position);
      if (verdict.status === 'skipped') continue; // requeued by requeueSkipped already
      const files = await deps.files.collect(run.resultStem, execution.startedAt);
      const record = buildRecord(run, execution, unit.length, {
        status: verdict.status,
        failure: verdict.failure,
        attempt: attempts.get(run.runNumber) ?? 1,
        events: output.progress?.events ?? null,
        simTime: output.progress?.simTime ?? null,
        termination: output.termination,
        durationMs:
          unit.length === 1 || output.progress === null
            ? execution.endedAt.getTime() - execution.startedAt.getTime()
            : Math.round(output.progress.elapsedSeconds * 1000),
        sessionId: options.sessionId,
        fingerprint: options.fingerprint,
        files,
      });
      await finish(record, run);
    }
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
      inFlight += 1;
      counts.running += unit.length;
      settling += 1;
      let slotFreed = false;
      const freeSlot = () => {
        if (slotFreed) return;
        slotFreed = true;
        inFlight -= 1;
        counts.running -= unit.length;
        wakeup.wake();
      };
      startUnit(unit)
        .then((execution) => {
          // The slot is free as soon as the process has ended: the next run starts while this one's
          // result files are checksummed and recorded.
          const started = requeueSkipped(unit, execution);
          freeSlot();
          return settleUnit(unit, started, execution);
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
  for (const timer of retryTimers) clearTimeout(timer);
  if (fatal.error !== null) throw fatal.error;

  const elapsedMs = deps.now() - started;
  deps.observer.notify({ type: 'campaign-finished', counts: { ...counts }, elapsedMs });
  return {
    counts: { ...counts },
    problems: [...problems.values()].sort((a, b) => a.runNumber - b.runNumber),
    elapsedMs,
  };
}

function positionOf(runNumber: number, unitSize: number, announced: readonly number[]): RunPosition {
  // A single run is always the one in progress, even if the program printed no announcement.
  if (unitSize === 1) return 'last-started';
  const index = announced.indexOf(runNumber);
  if (index < 0) return 'not-started';
  return index === announced.length - 1 ? 'last-started' : 'completed-earlier';
}

type RecordFields = Pick<
  RunRecord,
  | 'status'
  | 'failure'
  | 'attempt'
  | 'events'
  | 'simTime'
  | 'termination'
  | 'durationMs'
  | 'sessionId'
  | 'fingerprint'
  | 'files'
>;

function buildRecord(run: RunSpec, execution: Execution, batchSize: number, fields: RecordFields): RunRecord {
  return {
    v: 1,
    runNumber: run.runNumber,
    configName: run.configName,
    description: run.description,
    exitCode: execution.exitCode,
    signal: execution.signal,
    startedAt: execution.startedAt.toISOString(),
    endedAt: execution.endedAt.toISOString(),
    peakRssKb: execution.peakRssKb,
    host: execution.host,
    argv: execution.argv,
    batchSize,
    ...fields,
  };
}
