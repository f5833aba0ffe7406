/**
 * Brings an AWS campaign's finished runs into this machine's `results/` and manifest, exactly as a
 * local or swarm run would have left them. For each run attempt the bucket holds (GET records, one
 * presigned URL each), its result files are downloaded beside the others, checked against the sha256
 * the record gives (a mismatch is rejected and downloaded again), renamed into place whole, and only
 * then is the record appended to the manifest. A client killed at any point loses nothing: the next
 * `attach`, `results` or `run` sees which attempts the manifest lacks and fetches them.
 *
 * The records stored here carry the AWS campaign id as their session and the submission's
 * fingerprint (source snapshot + build command), which is what resume compares on the next `run`.
 */
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { FileResultStore } from '../../adapters/local/file-result-store.js';
import type { SessionLog } from '../../adapters/local/session-log.js';
import { JsonlFile } from '../../adapters/local/jsonl-file.js';
import type { ResultFileInfo, RunRecord, RunSpec } from '../../core/campaign.js';
import type { CampaignCounts } from '../../core/events.js';
import { runtimeSample } from '../../core/runtime-history.js';
import { runRecordSchema } from '../../core/schemas.js';
import type { CampaignObserver } from '../../ports/campaign-observer.js';
import type { HistoryStore } from '../../ports/history-store.js';
import type { ManifestStore } from '../../ports/manifest-store.js';
import { isFinal, tallyRecord } from '../../swarm/client/collect-results.js';
import { PRESIGN_SECONDS, type RecordLink, type ResultLink } from '../api-contract.js';
import { FINAL_STATES, type CampaignState, type CampaignStatus } from '../campaign-status.js';
import { clusterRate } from '../cost.js';
import type { StoredRecord } from '../stored-record.js';
import type { AwsSubmission } from './aws-submissions.js';
import { AwsApiError, AwsTransferError } from './client-errors.js';
import type { ControlPlaneClient } from './control-plane-client.js';
import { describeMachines, formatUsd } from './cost-estimate.js';
import { sleep } from './retry-policy.js';

export interface AwsCollectTarget {
  readonly submission: AwsSubmission;
  /** The runs submitted, when they were planned here (history samples, awaited runs). */
  readonly runs: readonly RunSpec[] | null;
}

export interface AwsCollectDeps {
  readonly client: ControlPlaneClient;
  readonly manifest: ManifestStore;
  /** The manifest's file: read to learn which attempts of this campaign are stored already. */
  readonly manifestFile: string;
  readonly history: HistoryStore;
  readonly observer: CampaignObserver;
  /** Where the build time and the cost seen by this client are kept for the report. */
  readonly sessionLog: SessionLog;
}

export interface FollowOptions {
  /** Pause between status polls. */
  readonly pollMs: number;
}

export interface FollowOutcome {
  readonly counts: CampaignCounts;
  readonly problems: readonly RunRecord[];
  readonly elapsedMs: number;
  /** Submitted runs without a final record here; null when the runs were not planned here. */
  readonly remaining: number | null;
  /** The last status read. */
  readonly status: CampaignStatus;
  /** `collected`: every run is here (the cluster may still idle); `final`: the campaign ended; `stopped`. */
  readonly ended: 'collected' | 'final' | 'stopped';
}

const PAGE = 1000;
/** Records stored at the same time: downloads overlap, manifest appends group-commit. */
const PARALLEL_RECORDS = 8;
/** Downloads of one result file before its corruption is reported as an error. */
const DOWNLOAD_ATTEMPTS = 3;
/** Result URLs are relisted well before they expire. */
const URL_TTL_MS = PRESIGN_SECONDS * 750;
/**
 * A full records listing costs a request per page: after one of N pages, the next waits N polls (at
 * most N seconds), so a campaign of 100,000 runs is not listed whole every few seconds.
 */
const LISTING_PAUSE_PER_PAGE_MS = 1000;
const COST_NOTICE_MS = 60_000;

type StoredAttempt = Pick<RunRecord, 'runNumber' | 'attempt' | 'status' | 'files'>;

/** The newest attempt of each run of one AWS campaign that the manifest holds. */
class StoredAttempts {
  private readonly latest = new Map<number, StoredAttempt>();

  static async load(manifestFile: string, awsCampaignId: string): Promise<StoredAttempts> {
    const stored = new StoredAttempts();
    const file = new JsonlFile<RunRecord>(manifestFile, (value) => {
      const parsed = runRecordSchema.safeParse(value);
      return parsed.success ? parsed.data : null;
    });
    await file.read((record) => {
      if (record.sessionId === awsCampaignId) stored.add(record);
    });
    return stored;
  }

  attemptOf(runNumber: number): number {
    return this.latest.get(runNumber)?.attempt ?? 0;
  }

  add(record: StoredAttempt): void {
    if (record.attempt < this.attemptOf(record.runNumber)) return;
    const { runNumber, attempt, status, files } = record;
    this.latest.set(runNumber, { runNumber, attempt, status, files });
  }

  isFinal(runNumber: number, attempts: number): boolean {
    const record = this.latest.get(runNumber);
    return record !== undefined && isFinal(record, attempts);
  }

  finalCount(attempts: number): number {
    let count = 0;
    for (const record of this.latest.values()) if (isFinal(record, attempts)) count += 1;
    return count;
  }

  all(): IterableIterator<StoredAttempt> {
    return this.latest.values();
  }
}

/** The campaign's result files and their presigned URLs, listed when needed and before they expire. */
class ResultIndex {
  private readonly links = new Map<string, ResultLink>();
  private listStartedAt = 0;
  private listing: Promise<void> | null = null;

  constructor(
    private readonly client: ControlPlaneClient,
    private readonly campaignId: string,
  ) {}

  /** The link of a result file; `fresh`: from a listing made after this call (the old URL failed). */
  async lookup(name: string, fresh: boolean): Promise<ResultLink> {
    const asked = Date.now();
    if (fresh || !this.links.has(name) || asked - this.listStartedAt > URL_TTL_MS) await this.refresh(asked);
    const link = this.links.get(name);
    if (link === undefined)
      throw new AwsApiError(
        `campaign ${this.campaignId}: a record names the result file ${name}, which the bucket does not list`,
      );
    return link;
  }

  /** Waits for a listing that started at or after `after` (one listing serves every concurrent caller). */
  private async refresh(after: number): Promise<void> {
    while (this.listStartedAt < after) {
      if (this.listing === null) {
        const started = Date.now();
        this.listing = this.list()
          .then(() => {
            this.listStartedAt = started;
          })
          .finally(() => {
            this.listing = null;
          });
      }
      await this.listing;
    }
  }

  private async list(): Promise<void> {
    let next: string | null = null;
    do {
      const page = await this.client.results(this.campaignId, next, PAGE);
      for (const link of page.items) this.links.set(link.path, link);
      next = page.next;
    } while (next !== null);
  }
}

/** A result name from the bucket, resolved inside the result directory or refused. */
function resultPath(resultDir: string, name: string): string {
  const target = path.resolve(resultDir, name);
  if (path.isAbsolute(name) || !target.startsWith(`${resultDir}${path.sep}`))
    throw new AwsApiError(
      `the campaign lists a result file named '${name}', which leaves the result directory`,
    );
  return target;
}

/** Every record link of the campaign, and how many pages that took. */
async function listRecords(
  client: ControlPlaneClient,
  campaignId: string,
): Promise<{ links: RecordLink[]; pages: number }> {
  const links: RecordLink[] = [];
  let next: string | null = null;
  let pages = 0;
  do {
    const page = await client.records(campaignId, next, PAGE);
    links.push(...page.items);
    next = page.next;
    pages += 1;
  } while (next !== null);
  return { links, pages };
}

/** The transfers and manifest appends of one campaign's collection. */
class RecordStore {
  readonly results: ResultIndex;
  private readonly files: FileResultStore;

  constructor(
    readonly target: AwsCollectTarget,
    readonly deps: AwsCollectDeps,
    readonly stored: StoredAttempts,
  ) {
    this.results = new ResultIndex(deps.client, target.submission.awsCampaignId);
    this.files = new FileResultStore(target.submission.resultDir, target.submission.workingDir);
  }

  /**
   * Stores every attempt listed that the manifest lacks, attempts of a run in order; `onStored` sees
   * each record as stored here. Returns the number of listing pages read.
   */
  async sync(onStored: (record: RunRecord) => Promise<void>, stop?: AbortSignal): Promise<number> {
    const { links, pages } = await listRecords(this.deps.client, this.target.submission.awsCampaignId);
    const byRun = new Map<number, RecordLink[]>();
    for (const link of links) {
      if (link.attempt <= this.stored.attemptOf(link.runNumber)) continue;
      byRun.set(link.runNumber, [...(byRun.get(link.runNumber) ?? []), link]);
    }
    const queue = [...byRun.values()].map((runLinks) => runLinks.sort((a, b) => a.attempt - b.attempt));
    const worker = async () => {
      for (let runLinks = queue.shift(); runLinks !== undefined; runLinks = queue.shift()) {
        if (stop?.aborted === true) return;
        for (const link of runLinks) await onStored(await this.store(link));
      }
    };
    await Promise.all(Array.from({ length: PARALLEL_RECORDS }, worker));
    return pages;
  }

  /** Downloads the files of one attempt, then appends its record. */
  private async store(link: RecordLink): Promise<RunRecord> {
    const { submission } = this.target;
    const stored: StoredRecord = await this.deps.client.downloadRecord(link);
    const remote = stored.record;
    if (remote.runNumber !== link.runNumber || remote.attempt !== link.attempt)
      throw new AwsApiError(
        `the record at the link of run ${link.runNumber} (attempt ${link.attempt}) is run ${remote.runNumber} (attempt ${remote.attempt})`,
      );
    const files: ResultFileInfo[] = [];
    for (const [i, name] of stored.results.entries()) {
      const info =
        remote.files.find((f) => f.path === name || f.path.endsWith(`/${name}`)) ??
        (remote.files.length === stored.results.length ? remote.files[i] : undefined);
      if (info === undefined)
        throw new AwsApiError(`run ${remote.runNumber}: the record lists ${name} without its checksum`);
      const target = resultPath(submission.resultDir, name);
      await this.download(name, target, info.sha256);
      const local = await stat(target);
      files.push({
        path: path.relative(submission.workingDir, target),
        size: local.size,
        mtimeMs: local.mtimeMs,
        sha256: info.sha256,
      });
    }
    const record: RunRecord = {
      ...remote,
      sessionId: submission.awsCampaignId,
      fingerprint: submission.fingerprint,
      files,
    };
    await this.deps.manifest.append(record);
    this.stored.add(record);
    return record;
  }

  /** Downloads one result file; a copy whose sha256 is wrong is rejected and fetched again. */
  async download(name: string, target: string, sha256: string): Promise<void> {
    await mkdir(path.dirname(target), { recursive: true });
    for (let attempt = 1; ; attempt++) {
      const link = await this.results.lookup(name, attempt > 1);
      try {
        await this.deps.client.downloadResult(link, target, sha256);
        return;
      } catch (error) {
        if (!(error instanceof AwsTransferError) || attempt >= DOWNLOAD_ATTEMPTS) throw error;
        this.deps.observer.notify({ type: 'notice', message: `${error.message}; downloading it again` });
      }
    }
  }

  /** Downloads again the files of stored records that are missing here or changed; how many. */
  async repair(stop?: AbortSignal): Promise<number> {
    const { submission } = this.target;
    let repaired = 0;
    for (const record of this.stored.all()) {
      if (stop?.aborted === true) break;
      for (const file of record.files) {
        if ((await this.files.verify(file)) === 'intact') continue;
        const target = path.resolve(submission.workingDir, file.path);
        await this.download(path.relative(submission.resultDir, target), target, file.sha256);
        repaired += 1;
      }
    }
    return repaired;
  }
}

/**
 * Stores what the campaign has that this machine lacks: attempts missing from the manifest, and files
 * of stored attempts that are missing or changed here. Does not wait for anything.
 */
export async function downloadMissing(
  target: AwsCollectTarget,
  deps: AwsCollectDeps,
  stop?: AbortSignal,
): Promise<{ records: number; files: number; repaired: number }> {
  const stored = await StoredAttempts.load(deps.manifestFile, target.submission.awsCampaignId);
  const store = new RecordStore(target, deps, stored);
  const runs = new Map(target.runs?.map((run) => [run.runNumber, run]));
  let records = 0;
  let files = 0;
  await store.sync(async (record) => {
    records += 1;
    files += record.files.length;
    await learn(record, runs, target.submission, deps.history);
  }, stop);
  const repaired = await store.repair(stop);
  return { records, files, repaired };
}

async function learn(
  record: RunRecord,
  runs: ReadonlyMap<number, RunSpec>,
  submission: AwsSubmission,
  history: HistoryStore,
): Promise<void> {
  const run = runs.get(record.runNumber);
  if (record.status === 'ok' && run !== undefined)
    await history.append([runtimeSample(submission.localCampaignId, run, record.durationMs)]);
}

/** One line about the campaign's state, for the moment it changes. */
export function stateLine(status: CampaignStatus): string {
  const runs = status.runs === null ? '' : `: ${status.runs.finished}/${status.runs.total} runs finished`;
  const failure = status.failure === null ? '' : ` (${status.failure.error}: ${status.failure.cause})`;
  return `campaign ${status.campaignId} ${status.state}${runs}${failure}`;
}

export function costLine(status: CampaignStatus): string | null {
  if (status.cost === null) return null;
  const budget = status.cost.budgetUsd === null ? '' : ` of a ${formatUsd(status.cost.budgetUsd)} budget`;
  return `cost so far ${formatUsd(status.cost.soFarUsd)}, projected ${formatUsd(status.cost.projectedUsd)}${budget}`;
}

/**
 * Follows the campaign until every submitted run is stored here, the campaign ends, or `stop`:
 * status polls drive the progress display (state changes, cost, ETA from the remaining work), and
 * whenever the campaign has finished runs this machine lacks, they are stored.
 */
export async function followAwsCampaign(
  target: AwsCollectTarget,
  deps: AwsCollectDeps,
  options: FollowOptions,
  stop: AbortSignal,
): Promise<FollowOutcome> {
  const started = Date.now();
  const { submission } = target;
  const { attempts } = submission;
  const stored = await StoredAttempts.load(deps.manifestFile, submission.awsCampaignId);
  const store = new RecordStore(target, deps, stored);
  const runs = new Map(target.runs?.map((run) => [run.runNumber, run]));
  const vcpus = clusterRate(submission.cluster).workerVcpus;

  // Known when the runs were planned here: the runs of this submission without a final record yet.
  const awaiting =
    submission.todo === null
      ? null
      : new Set(submission.todo.filter((run) => !stored.isFinal(run, attempts)));
  const problems = new Map<number, RunRecord>();
  const counts = {
    total: submission.todo === null ? 0 : submission.reused + submission.todo.length,
    reused: submission.todo === null ? 0 : submission.reused + submission.todo.length - (awaiting?.size ?? 0),
    ok: 0,
    failed: 0,
    lost: 0,
    interrupted: 0,
    running: 0,
  };
  let announced = false;
  let status: CampaignStatus | null = null;
  const etaMs = () => {
    const remaining = status?.runs?.remainingSeconds;
    // remainingSeconds is simulation work (lib/aws/cost.ts spreads it over the workers' cores).
    return remaining === null || remaining === undefined ? null : (remaining / vcpus) * 1000;
  };
  const announce = (total: number, toRun: number) => {
    if (announced) return;
    announced = true;
    deps.observer.notify({
      type: 'campaign-started',
      campaignId: submission.awsCampaignId,
      configName: submission.configName,
      resultDir: submission.resultDir,
      total,
      toRun,
      reasons: {},
      jobs: 0,
    });
  };
  if (awaiting !== null) announce(counts.total, awaiting.size);

  const onStored = async (record: RunRecord) => {
    await learn(record, runs, submission, deps.history);
    // A record of another submission is stored, not counted.
    if (!tallyRecord(record, { awaiting, attempts, counts, problems }, deps.observer)) return;
    // Queued or running in the cluster: the status does not tell them apart.
    const progress = status?.runs ?? null;
    counts.running = progress === null ? 0 : Math.max(0, progress.total - progress.finished);
    deps.observer.notify({ type: 'run-finished', record, counts: { ...counts }, etaMs: etaMs() });
  };

  const collected = (current: CampaignStatus) => {
    if (awaiting !== null) return awaiting.size === 0;
    return (
      current.runs !== null && current.runs.total > 0 && stored.finalCount(attempts) >= current.runs.total
    );
  };

  const clusterLog = new ClusterObservations(submission, deps.sessionLog, options.pollMs);
  let lastCostNotice = 0;
  let nextListingAt = 0;
  let buildLog: string[] = [];
  let ended: FollowOutcome['ended'] = 'stopped';
  while (!stop.aborted) {
    const previous: CampaignStatus | null = status;
    const current = await deps.client.campaign(submission.awsCampaignId);
    status = current;
    if (previous === null || previous.state !== current.state) {
      deps.observer.notify({ type: 'notice', message: stateLine(current) });
      await clusterLog.stateSeen(current.state);
    }
    if (current.cost !== null) {
      const { soFarUsd, projectedUsd, budgetUsd } = current.cost;
      deps.observer.notify({
        type: 'meter',
        etaMs: etaMs(),
        cost: { spentUsd: soFarUsd, projectedUsd, budgetUsd },
      });
    }
    const cost = costLine(current);
    if (cost !== null && Date.now() - lastCostNotice >= COST_NOTICE_MS) {
      lastCostNotice = Date.now();
      deps.observer.notify({ type: 'notice', message: cost });
    }
    if (current.state === 'building')
      buildLog = await streamBuildLog(deps, submission.awsCampaignId, buildLog);
    if (awaiting === null && current.runs !== null) {
      const finalHere = stored.finalCount(attempts);
      counts.total = current.runs.total;
      if (!announced) counts.reused = finalHere;
      announce(current.runs.total, Math.max(0, current.runs.total - finalHere));
    }

    const final = FINAL_STATES.includes(current.state);
    const behind = (current.runs?.finished ?? 0) > stored.finalCount(attempts);
    if (final || (behind && Date.now() >= nextListingAt)) {
      const pages = await store.sync(onStored, stop);
      nextListingAt = Date.now() + pages * Math.min(options.pollMs, LISTING_PAUSE_PER_PAGE_MS);
    }
    if (final && !stop.aborted) {
      ended = 'final';
      break;
    }
    if (collected(current)) {
      ended = 'collected';
      break;
    }
    await sleep(options.pollMs, stop);
  }
  if (status !== null) await clusterLog.costSeen(status);
  const elapsedMs = Date.now() - started;
  if (ended !== 'stopped')
    deps.observer.notify({ type: 'campaign-finished', counts: { ...counts }, elapsedMs });
  return {
    counts: { ...counts },
    problems: [...problems.values()].sort((a, b) => a.runNumber - b.runNumber),
    elapsedMs,
    remaining: awaiting === null ? null : awaiting.size,
    status: status ?? (await deps.client.campaign(submission.awsCampaignId)),
    ended,
  };
}

/**
 * What the report needs of the cluster and only this client sees: how long the build took (the time
 * between the status polls that saw it start and end) and what the cluster cost when following stopped.
 */
class ClusterObservations {
  private buildSeenAt: number | null = null;

  constructor(
    private readonly submission: AwsSubmission,
    private readonly log: SessionLog,
    private readonly pollMs: number,
  ) {}

  async stateSeen(state: CampaignState): Promise<void> {
    if (state === 'building') {
      this.buildSeenAt ??= Date.now();
      return;
    }
    if (this.buildSeenAt === null) return;
    await this.log.append({
      kind: 'build',
      sessionId: this.submission.awsCampaignId,
      backend: 'aws',
      command: this.submission.buildCommand,
      startedAt: new Date(this.buildSeenAt).toISOString(),
      durationMs: Date.now() - this.buildSeenAt,
      cached: false,
      ok: state !== 'failed' && state !== 'cancelled',
      measured: `between status polls ${this.pollMs} ms apart`,
    });
    this.buildSeenAt = null;
  }

  async costSeen(status: CampaignStatus): Promise<void> {
    if (status.cost === null) return;
    const { cluster } = this.submission;
    const rate = clusterRate(cluster);
    await this.log.append({
      kind: 'cost',
      sessionId: this.submission.awsCampaignId,
      backend: 'aws',
      at: new Date().toISOString(),
      usdPerHour: rate.usdPerHour,
      spentUsd: status.cost.soFarUsd,
      clusterHours: rate.usdPerHour > 0 ? status.cost.soFarUsd / rate.usdPerHour : 0,
      budgetUsd: status.cost.budgetUsd,
      cluster: `${describeMachines(cluster)} in ${cluster.region}`,
      final: FINAL_STATES.includes(status.state),
    });
  }
}

/** Emits the build log lines that are new since `seen` (the API returns the log's end, not offsets). */
async function streamBuildLog(deps: AwsCollectDeps, campaignId: string, seen: string[]): Promise<string[]> {
  let lines: string[];
  try {
    lines = (await deps.client.logs(campaignId, null)).lines;
  } catch {
    return seen; // no log yet: the build has not written one
  }
  let overlap = Math.min(seen.length, lines.length);
  while (overlap > 0 && !seen.slice(seen.length - overlap).every((line, i) => line === lines[i]))
    overlap -= 1;
  for (const line of lines.slice(overlap)) deps.observer.notify({ type: 'build-log', line });
  return lines;
}
