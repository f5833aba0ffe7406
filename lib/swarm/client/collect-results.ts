/**
 * Streams a swarm campaign's finished runs into this machine's `results/` and manifest as they
 * finish, exactly as a local run would have left them: each result file is downloaded beside the others
 * (checksum-verified, renamed into place whole), then the run's record is appended to the manifest, and
 * only then is the record marked fetched in the swarm. A client killed at any point therefore loses
 * nothing: what it had not stored is still unfetched, and `attach` picks it up.
 */
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CampaignPlan, ResultFileInfo, RunRecord, RunSpec } from '../../core/campaign.js';
import { GatewayError } from '../../core/errors.js';
import type { CampaignCounts } from '../../core/events.js';
import { ObservedParallelism, RemainingTimeForecast } from '../../core/eta.js';
import { RuntimeEstimator, runtimeSample } from '../../core/runtime-history.js';
import type { CampaignObserver } from '../../ports/campaign-observer.js';
import type { SwarmRunRecord } from '../../ports/campaign-store.js';
import type { HistoryStore } from '../../ports/history-store.js';
import type { ManifestStore } from '../../ports/manifest-store.js';
import { recordKey } from '../../ports/campaign-store.js';
import type { GatewayClient } from './gateway-client.js';

export interface CollectRequest {
  readonly swarmCampaignId: string;
  readonly plan: CampaignPlan;
  /** Runs this submission waits for; the others may still arrive (stragglers of earlier ones). */
  readonly awaiting: ReadonlySet<number>;
  readonly reused: number;
  /** Attempts the queue makes per run: a lost record below this is followed by a retry. */
  readonly attempts: number;
}

export interface CollectDeps {
  readonly gateway: GatewayClient;
  readonly manifest: ManifestStore;
  readonly history: HistoryStore;
  readonly observer: CampaignObserver;
}

export interface CollectOutcome {
  readonly counts: CampaignCounts;
  readonly problems: readonly RunRecord[];
  readonly elapsedMs: number;
  /** Runs still awaited when collection stopped (the user detached). */
  readonly remaining: number;
}

const PAGE = 200;
// Short: the last records of a campaign wait for at most one idle poll, and an empty poll is one cheap request.
const IDLE_POLL_MS = 200;
/** Records stored at the same time: downloads overlap, manifest appends group-commit. */
const PARALLEL_RECORDS = 8;

/**
 * The run attempts the manifest already holds (newest per run). A client killed between appending a
 * record and marking it fetched is handed the record again; it must not be stored twice.
 */
class StoredAttempts {
  private readonly latest = new Map<number, string>();

  static async load(manifest: ManifestStore): Promise<StoredAttempts> {
    const stored = new StoredAttempts();
    for (const record of await manifest.latestRecords()) stored.add(record);
    return stored;
  }

  private static key(record: Pick<RunRecord, 'attempt' | 'sessionId'>): string {
    return `${record.attempt}/${record.sessionId}`;
  }

  has(record: Pick<RunRecord, 'runNumber' | 'attempt' | 'sessionId'>): boolean {
    return this.latest.get(record.runNumber) === StoredAttempts.key(record);
  }

  add(record: Pick<RunRecord, 'runNumber' | 'attempt' | 'sessionId'>): void {
    this.latest.set(record.runNumber, StoredAttempts.key(record));
  }
}

/** Whether no further record of this run will come. */
export function isFinal(record: Pick<RunRecord, 'status' | 'attempt'>, attempts: number): boolean {
  return record.status === 'ok' || record.status === 'failed' || record.attempt >= attempts;
}

/** What a collector keeps of the runs it waits for; tallyRecord changes it. */
export interface CollectTally {
  /** Runs without a final record yet; null: not known here (every record counts). */
  readonly awaiting: Set<number> | null;
  readonly attempts: number;
  readonly counts: Record<'ok' | 'failed' | 'lost' | 'interrupted', number>;
  /** The final record of each run that did not end ok. */
  readonly problems: Map<number, RunRecord>;
}

/**
 * Counts a record just stored (swarm and aws collectors alike): a retry notice while the run has
 * attempts left, else its final status. Records of runs not awaited are stored but not counted.
 * @returns whether the record was the final one of an awaited run
 */
export function tallyRecord(record: RunRecord, tally: CollectTally, observer: CampaignObserver): boolean {
  if (tally.awaiting !== null && !tally.awaiting.has(record.runNumber)) return false;
  if (!isFinal(record, tally.attempts)) {
    observer.notify({
      type: 'run-retry',
      runNumber: record.runNumber,
      attempt: record.attempt + 1,
      reason: record.failure?.message ?? record.status,
      delayMs: 0,
    });
    return false;
  }
  tally.awaiting?.delete(record.runNumber);
  tally.counts[record.status] += 1;
  if (record.status === 'ok') tally.problems.delete(record.runNumber);
  else tally.problems.set(record.runNumber, record);
  return true;
}

/** A result name from the swarm, resolved inside the result directory or refused. */
function resultPath(resultDir: string, name: string): string {
  const target = path.resolve(resultDir, name);
  if (path.isAbsolute(name) || !target.startsWith(`${resultDir}${path.sep}`))
    throw new GatewayError(`the swarm sent a result file named '${name}', which leaves the result directory`);
  return target;
}

/** Downloads a record's result files and returns the record as it describes this machine's copies. */
async function storeResults(
  entry: SwarmRunRecord,
  plan: CampaignPlan,
  gateway: GatewayClient,
): Promise<RunRecord> {
  const { record, results } = entry;
  if (results.length !== record.files.length)
    throw new GatewayError(
      `run ${record.runNumber}: the swarm lists ${results.length} stored files for ${record.files.length} result files`,
    );
  const files: ResultFileInfo[] = await Promise.all(
    results.map(async (result, i) => {
      const remote = record.files[i] as ResultFileInfo;
      const target = resultPath(plan.resultDir, result.name);
      await mkdir(path.dirname(target), { recursive: true });
      await gateway.downloadBlob(result.blobKey, target, remote.sha256);
      const info = await stat(target);
      return {
        path: path.relative(plan.workingDir, target),
        size: info.size,
        mtimeMs: info.mtimeMs,
        sha256: remote.sha256,
      };
    }),
  );
  return { ...record, files };
}

/**
 * Stores one record handed out by the swarm: its files, then its manifest line. Returns the record as
 * stored here, or null if the manifest has that attempt already (handed out again after a client died
 * before marking it fetched).
 */
async function storeEntry(
  entry: SwarmRunRecord,
  plan: CampaignPlan,
  stored: StoredAttempts,
  deps: Pick<CollectDeps, 'gateway' | 'manifest'>,
): Promise<RunRecord | null> {
  if (stored.has(entry.record)) return null;
  const record = await storeResults(entry, plan, deps.gateway);
  await deps.manifest.append(record);
  stored.add(record);
  return record;
}

export async function collectResults(
  request: CollectRequest,
  deps: CollectDeps,
  stop: AbortSignal,
): Promise<CollectOutcome> {
  const started = Date.now();
  const awaiting = new Set(request.awaiting);
  const runs = new Map<number, RunSpec>(request.plan.runs.map((run) => [run.runNumber, run]));
  const problems = new Map<number, RunRecord>();
  const counts = {
    total: request.awaiting.size + request.reused,
    reused: request.reused,
    ok: 0,
    failed: 0,
    lost: 0,
    interrupted: 0,
    running: 0,
  };
  // The swarm's slots are shared with other campaigns and not visible here: the ETA spreads the
  // awaited runs' expected durations over the parallelism observed in the records.
  const forecast = new RemainingTimeForecast(
    new RuntimeEstimator(
      request.plan.campaignId,
      request.plan.configName,
      await deps.history.load(request.plan.campaignId),
    ),
  );
  const parallelism = new ObservedParallelism();
  const etaMs = () => {
    const slots = parallelism.slots();
    if (slots === null) return null;
    return forecast.remainingMs(awaitedRuns(), [], slots, Date.now(), awaiting.size);
  };
  // Lazy: the forecast walks a large queue at most once a second.
  function* awaitedRuns() {
    for (const runNumber of awaiting) {
      const run = runs.get(runNumber);
      if (run !== undefined) yield run;
    }
  }

  const stored = await StoredAttempts.load(deps.manifest);
  const store = async (entry: SwarmRunRecord) => {
    const record = await storeEntry(entry, request.plan, stored, deps);
    if (record === null) return;
    const run = runs.get(record.runNumber);
    if (record.status === 'ok' && run !== undefined) {
      const sample = runtimeSample(request.plan.campaignId, run, record.durationMs);
      forecast.learn(run, sample);
      await deps.history.append([sample]);
    }
    // A straggler of an earlier submission is stored, not counted.
    if (!tallyRecord(record, { awaiting, attempts: request.attempts, counts, problems }, deps.observer))
      return;
    parallelism.record(Date.parse(record.startedAt), Date.parse(record.endedAt));
    deps.observer.notify({ type: 'run-finished', record, counts: { ...counts }, etaMs: etaMs() });
  };

  deps.observer.notify({
    type: 'campaign-started',
    campaignId: request.swarmCampaignId,
    configName: request.plan.configName,
    resultDir: request.plan.resultDir,
    total: counts.total,
    toRun: awaiting.size,
    reasons: {},
    jobs: 0,
  });
  while (awaiting.size > 0 && !stop.aborted) {
    const page = await deps.gateway.unfetchedRecords(request.swarmCampaignId, PAGE);
    if (page.length === 0) {
      await sleep(IDLE_POLL_MS, stop);
      continue;
    }
    for (let i = 0; i < page.length; i += PARALLEL_RECORDS) {
      const slice = page.slice(i, i + PARALLEL_RECORDS);
      await Promise.all(slice.map(store));
      await deps.gateway.markFetched(request.swarmCampaignId, slice.map(recordKey));
    }
  }
  const elapsedMs = Date.now() - started;
  if (awaiting.size === 0)
    deps.observer.notify({ type: 'campaign-finished', counts: { ...counts }, elapsedMs });
  return {
    counts: { ...counts },
    problems: [...problems.values()].sort((a, b) => a.runNumber - b.runNumber),
    elapsedMs,
    remaining: awaiting.size,
  };
}

/** Drains the records an earlier, interrupted client left unfetched, so that resume sees them. */
export async function drainUnfetched(
  swarmCampaignId: string,
  plan: CampaignPlan,
  deps: Pick<CollectDeps, 'gateway' | 'manifest'>,
): Promise<number> {
  let drained = 0;
  const stored = await StoredAttempts.load(deps.manifest);
  for (;;) {
    const page = await deps.gateway.unfetchedRecords(swarmCampaignId, PAGE);
    if (page.length === 0) return drained;
    for (const entry of page) await storeEntry(entry, plan, stored, deps);
    await deps.gateway.markFetched(swarmCampaignId, page.map(recordKey));
    drained += page.length;
  }
}

function sleep(ms: number, stop: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      stop.removeEventListener('abort', done);
      resolve();
    }
    stop.addEventListener('abort', done, { once: true });
  });
}
