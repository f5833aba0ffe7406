/**
 * The swarm backend seen from the CLI ("local-swarm mode"): prepare the campaign in the swarm (source,
 * build, plan), decide what to run from the same local manifest as the local backend, enqueue it
 * longest-first with deterministic ids, and collect the results into `results/` as they finish.
 * `submit` stops after enqueueing; `attach` resumes collecting from what the state directory recorded.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readdir, readFile, rename } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CampaignLock } from '../../adapters/local/campaign-lock.js';
import { FileResultStore } from '../../adapters/local/file-result-store.js';
import { indexingManifest, type ResultIndexTarget } from '../../adapters/local/indexing-manifest-store.js';
import { JsonlHistoryStore } from '../../adapters/local/jsonl-history-store.js';
import { JsonlManifestStore } from '../../adapters/local/jsonl-manifest-store.js';
import { checkWorkingDir, ensureWritableDir } from '../../adapters/local/preflight.js';
import { gitState } from '../../adapters/local/provenance.js';
import { SessionLog } from '../../adapters/local/session-log.js';
import { StateDir } from '../../adapters/local/state-dir.js';
import type { CampaignPlan, RunSpec } from '../../core/campaign.js';
import { CampaignInputError } from '../../core/errors.js';
import { decideResume, type ResumeDecision } from '../../core/resume.js';
import { RuntimeEstimator } from '../../core/runtime-history.js';
import { priorityOrder } from '../../core/schedule.js';
import type { CampaignObserver } from '../../ports/campaign-observer.js';
import type { ManifestStore } from '../../ports/manifest-store.js';
import type { QueuedUnit, RetryPolicy } from '../../ports/run-queue.js';
import { collectResults, drainUnfetched, isFinal, type CollectOutcome } from './collect-results.js';
import type { GatewayClient } from './gateway-client.js';
import { prepareCampaign, type BuildCommand, type PreparedCampaign } from './prepare-campaign.js';

export interface SwarmCampaignOptions {
  readonly program: string;
  readonly args: readonly string[];
  readonly workingDir: string;
  readonly stateDir: string | null;
  readonly force: boolean;
  readonly runTimeoutMs: number | null;
  readonly maxRetries: number;
  readonly retryDelayMs: number;
  readonly buildCommand: BuildCommand;
  readonly maxSourceBytes: number;
  /** `submit`: return once the runs are enqueued. */
  readonly detach: boolean;
}

/** What the state directory keeps of a submission, so that `attach` can collect it later. */
interface Submission {
  readonly v: 1;
  readonly swarmCampaignId: string;
  readonly sessionId: string;
  readonly submittedAt: string;
  readonly attempts: number;
  readonly reused: number;
  /** The runs this submission enqueued. */
  readonly todo: readonly number[];
  readonly plan: CampaignPlan;
}

export type SwarmCampaignResult =
  | { readonly kind: 'submitted'; readonly submission: Submission; readonly decision: ResumeDecision }
  | {
      readonly kind: 'collected';
      readonly submission: Submission;
      readonly outcome: CollectOutcome;
      readonly manifestFile: string;
    };

/** Units per gateway request: large enough to enqueue 100,000 runs in seconds, small enough for one body. */
const ENQUEUE_CHUNK = 5000;

/**
 * Enqueues one unit per run, in the given order (the first runs soonest), with deterministic ids
 * `<swarmCampaignId>-<run>` so that enqueueing again never duplicates work. Units are made one chunk
 * at a time: 100,000 of them at once would double the caller's memory.
 */
export async function enqueueInOrder(
  gateway: Pick<GatewayClient, 'enqueue'>,
  swarmCampaignId: string,
  ordered: readonly RunSpec[],
  retry: RetryPolicy,
  replaceFinished: boolean,
): Promise<void> {
  for (let i = 0; i < ordered.length; i += ENQUEUE_CHUNK) {
    const units: QueuedUnit[] = ordered.slice(i, i + ENQUEUE_CHUNK).map((run, j) => ({
      id: `${swarmCampaignId}-${run.runNumber}`,
      campaignId: swarmCampaignId,
      runs: [run],
      priority: i + j + 1,
    }));
    await gateway.enqueue(swarmCampaignId, units, retry, replaceFinished);
  }
}

function submissionFile(state: StateDir, campaignId: string): string {
  return path.join(state.campaignDir(campaignId), 'swarm-submission.json');
}

export async function runSwarmCampaign(
  options: SwarmCampaignOptions,
  gateway: GatewayClient,
  observer: CampaignObserver,
  stop: AbortSignal,
): Promise<SwarmCampaignResult> {
  const workingDir = path.resolve(options.workingDir);
  await checkWorkingDir(workingDir);
  const state = new StateDir(path.resolve(options.stateDir ?? path.join(workingDir, '.inet-swarm')));
  await state.ensure();
  const prepared = await prepareCampaign(
    {
      program: options.program,
      args: options.args,
      workingDir,
      stateDir: state.root,
      buildCommand: options.buildCommand,
      maxSourceBytes: options.maxSourceBytes,
    },
    gateway,
    observer,
    stop,
  );
  const { plan } = prepared;
  await ensureWritableDir(plan.resultDir, 'result directory');
  await ensureWritableDir(state.campaignDir(plan.campaignId), 'state directory');
  const index = { resultDir: plan.resultDir, workingDir: plan.workingDir, observer };
  return withCampaignState(state, plan.campaignId, index, async (manifest, history) => {
    // One swarm campaign per (campaign, build): a changed source is a new campaign in the swarm, while
    // the local manifest (per campaign) sees the old results as stale and reruns them.
    const swarmCampaignId = `${plan.campaignId}-${prepared.artifactKey.replace(/^artifact-/, '').slice(0, 12)}`;
    const fingerprint = prepared.artifactKey;
    const earlier = await gateway.campaign(swarmCampaignId);
    if (earlier !== null) {
      const drained = await drainUnfetched(swarmCampaignId, plan, { gateway, manifest });
      if (drained > 0)
        observer.notify({
          type: 'notice',
          message: `stored ${drained} run(s) finished in the swarm since the last session`,
        });
      // Units an earlier session queued but never started are requeued below under this session.
      await gateway.cancel(swarmCampaignId);
    }
    const files = new FileResultStore(plan.resultDir, workingDir);
    const decision = await decideResume(
      plan.runs,
      await manifest.latestRecords(),
      fingerprint,
      files,
      options.force,
    );
    const sessionId = randomUUID();
    const submittedAt = new Date().toISOString();
    const retry: RetryPolicy = { attempts: options.maxRetries + 1, backoffMs: options.retryDelayMs };
    await gateway.putCampaign({
      campaignId: swarmCampaignId,
      artifactKey: prepared.artifactKey,
      program: options.program,
      args: [...options.args],
      workingDir: prepared.workingDirInArtifact,
      resultDir: prepared.resultDirInArtifact,
      runTimeoutMs: options.runTimeoutMs,
      sessionId,
      fingerprint,
      configName: plan.configName,
      totalRuns: plan.runs.length,
      submittedAt,
    });
    const estimator = new RuntimeEstimator(
      plan.campaignId,
      plan.configName,
      await history.load(plan.campaignId),
    );
    const ordered = priorityOrder(decision.todo, estimator);
    await enqueueInOrder(gateway, swarmCampaignId, ordered, retry, earlier !== null);

    observer.notify({
      type: 'notice',
      message: `swarm campaign ${swarmCampaignId}: ${ordered.length} run(s) queued (inet-swarm status|logs|cancel ${swarmCampaignId})`,
    });
    const submission: Submission = {
      v: 1,
      swarmCampaignId,
      sessionId,
      submittedAt,
      attempts: retry.attempts,
      reused: decision.reused.length,
      todo: decision.todo.map((run) => run.runNumber),
      plan,
    };
    await writeSubmission(submissionFile(state, plan.campaignId), submission);
    await logSwarmSession(state, prepared, submission, workingDir);
    if (options.detach) return { kind: 'submitted', submission, decision };

    const outcome = await collectResults(
      {
        swarmCampaignId,
        plan,
        awaiting: new Set(submission.todo),
        reused: submission.reused,
        attempts: submission.attempts,
      },
      { gateway, manifest, history, observer },
      stop,
    );
    return { kind: 'collected', submission, outcome, manifestFile: state.manifestFile(plan.campaignId) };
  });
}

export interface AttachOptions {
  readonly workingDir: string;
  readonly stateDir: string | null;
  /** A swarm campaign id, or a unique prefix of one; null: the only submission in the state directory. */
  readonly campaign: string | null;
}

/** The session and its build, for the report (the same entries the other backends write). */
async function logSwarmSession(
  state: StateDir,
  prepared: PreparedCampaign,
  submission: Submission,
  workingDir: string,
): Promise<void> {
  const { plan } = prepared;
  const log = new SessionLog(state.sessionsFile(plan.campaignId));
  const git = await gitState(workingDir, [plan.resultDir, state.root]);
  await log.append({
    kind: 'session',
    sessionId: submission.sessionId,
    backend: 'swarm',
    startedAt: submission.submittedAt,
    program: plan.program,
    args: [...plan.args],
    workingDir,
    resultDir: plan.resultDir,
    jobs: null,
    plannedRuns: plan.runs.length,
    provenance: {
      ...git,
      sourceHash: prepared.sourceHash,
      fingerprint: prepared.artifactKey,
      host: os.hostname(),
      nodeVersion: process.version,
    },
  });
  await log.append({
    kind: 'build',
    sessionId: submission.sessionId,
    backend: 'swarm',
    command: prepared.buildCommand,
    startedAt: null,
    durationMs: prepared.build.durationMs,
    cached: prepared.buildReused,
    ok: true,
    measured: null,
  });
}

/** Continues collecting a submission whose client stopped (killed, Ctrl-C, or `submit`). */
export async function attachSwarmCampaign(
  options: AttachOptions,
  gateway: GatewayClient,
  observer: CampaignObserver,
  stop: AbortSignal,
): Promise<SwarmCampaignResult & { kind: 'collected' }> {
  const state = new StateDir(
    path.resolve(options.stateDir ?? path.join(path.resolve(options.workingDir), '.inet-swarm')),
  );
  const submission = await findSubmission(state, options.campaign);
  const { plan } = submission;
  const index = { resultDir: plan.resultDir, workingDir: plan.workingDir, observer };
  return withCampaignState(state, plan.campaignId, index, async (manifest, history) => {
    // What finished while no client was collecting, stored before anything is counted.
    await drainUnfetched(submission.swarmCampaignId, plan, { gateway, manifest });
    // Runs already stored for this submission are done; the rest are still awaited.
    const done = new Set(
      (await manifest.latestRecords())
        .filter((record) => record.sessionId === submission.sessionId && isFinal(record, submission.attempts))
        .map((record) => record.runNumber),
    );
    const awaiting = new Set(submission.todo.filter((run) => !done.has(run)));
    const outcome = await collectResults(
      {
        swarmCampaignId: submission.swarmCampaignId,
        plan,
        awaiting,
        reused: submission.reused + (submission.todo.length - awaiting.size),
        attempts: submission.attempts,
      },
      { gateway, manifest, history, observer },
      stop,
    );
    return {
      kind: 'collected' as const,
      submission,
      outcome,
      manifestFile: state.manifestFile(plan.campaignId),
    };
  });
}

/**
 * The campaign's local state, held for the duration of `body`: the lock, the manifest (feeding the
 * results index of `index.resultDir`, whose problems `index.observer` hears as notices) and the history.
 */
export async function withCampaignState<T>(
  state: StateDir,
  campaignId: string,
  index: ResultIndexTarget & { readonly observer: CampaignObserver },
  body: (manifest: ManifestStore, history: JsonlHistoryStore) => Promise<T>,
): Promise<T> {
  const lock = await CampaignLock.acquire(state.lockFile(campaignId));
  const manifest = indexingManifest(
    new JsonlManifestStore(state.manifestFile(campaignId)),
    index,
    index.observer,
  );
  const history = new JsonlHistoryStore(state.historyFile());
  try {
    return await body(manifest, history);
  } finally {
    await manifest.close();
    await history.close();
    await lock.release();
  }
}

async function findSubmission(state: StateDir, wanted: string | null): Promise<Submission> {
  const ids = await readdir(state.campaignsDir()).catch(() => [] as string[]);
  const submissions: Submission[] = [];
  for (const id of ids) {
    const text = await readFile(submissionFile(state, id), 'utf8').catch(() => null);
    if (text !== null) submissions.push(JSON.parse(text) as Submission);
  }
  const matching = submissions.filter(
    (s) => wanted === null || s.swarmCampaignId.startsWith(wanted) || s.plan.campaignId.startsWith(wanted),
  );
  if (matching.length === 1) return matching[0] as Submission;
  if (matching.length === 0)
    throw new CampaignInputError(
      wanted === null
        ? `no swarm campaign was submitted from ${state.root}`
        : `no swarm campaign '${wanted}' was submitted from ${state.root}`,
    );
  throw new CampaignInputError(
    `several swarm campaigns were submitted from ${state.root}; name one:\n${matching.map((s) => `  ${s.swarmCampaignId} (${s.plan.configName})`).join('\n')}`,
  );
}

/**
 * Writes the submission (atomically: whole or not at all) without ever holding it as one string: the
 * plan of a 100,000-run campaign is tens of megabytes of JSON, written a slice of runs at a time.
 */
async function writeSubmission(file: string, submission: Submission): Promise<void> {
  const { plan, ...rest } = submission;
  const { runs, ...planRest } = plan;
  // `plan` is the last key and `runs` the last key of it: the text ends with `"runs":[]}}`.
  const head = JSON.stringify({ ...rest, plan: { ...planRest, runs: [] } });
  const partial = `${file}.partial`;
  const out = createWriteStream(partial);
  const write = (text: string) =>
    out.write(text) ? Promise.resolve() : new Promise<void>((resolve) => out.once('drain', () => resolve()));
  await write(head.slice(0, -3));
  for (let i = 0; i < runs.length; i += 1000) {
    await write(
      `${i > 0 ? ',' : ''}${runs
        .slice(i, i + 1000)
        .map((run) => JSON.stringify(run))
        .join(',')}`,
    );
  }
  await write(']}}');
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
  await rename(partial, file);
}
