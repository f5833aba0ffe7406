/**
 * The aws backend seen from the CLI: check the choices against the contract, plan the runs here when
 * the program is built here (as the local backend does), decide from the same manifest what still needs
 * running, show what it will cost and let the user confirm, and only then create the campaign, upload
 * the source snapshot and start it. `run` then follows it and stores its results as they arrive;
 * `submit` returns; `attach` and `results` pick a submission up again from the state directory.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FileResultStore } from '../../adapters/local/file-result-store.js';
import {
  checkWorkingDir,
  ensureWritableDir,
  readTextOrUndefined,
  resolveProgram,
} from '../../adapters/local/preflight.js';
import { ProcessSimulationProgram } from '../../adapters/local/process-simulation-program.js';
import { sha256File } from '../../adapters/local/sha256-file.js';
import { packSnapshot, scanSource, type SourceSnapshot } from '../../adapters/local/source-snapshot.js';
import { gitState } from '../../adapters/local/provenance.js';
import { SessionLog } from '../../adapters/local/session-log.js';
import { StateDir } from '../../adapters/local/state-dir.js';
import type { CampaignPlan, RunSpec } from '../../core/campaign.js';
import { CampaignInputError } from '../../core/errors.js';
import { campaignIdOf, planCampaign } from '../../core/plan.js';
import { resolveResultDir } from '../../core/result-dir.js';
import { decideResume, type ResumeDecision } from '../../core/resume.js';
import { readInvocation, withoutRunFilter } from '../../core/simulation-args.js';
import type { CampaignObserver } from '../../ports/campaign-observer.js';
import { buildCommandFor, type BuildCommand } from '../../swarm/client/prepare-campaign.js';
import { withCampaignState } from '../../swarm/client/run-swarm-campaign.js';
import type { CampaignSpec } from '../campaign-spec.js';
import { FINAL_STATES } from '../campaign-status.js';
import { CampaignNotFoundError, CampaignStateConflictError } from '../errors.js';
import {
  findSubmission,
  listSubmissions,
  saveSubmission,
  submissionRuns,
  type AwsSubmission,
} from './aws-submissions.js';
import { validateCampaignSpec, type AwsCampaignChoices } from './campaign-spec-input.js';
import {
  downloadMissing,
  followAwsCampaign,
  type AwsCollectDeps,
  type FollowOutcome,
} from './collect-aws-results.js';
import type { ControlPlaneClient } from './control-plane-client.js';
import { costEstimateLines, estimateCost, expectedWorkSeconds, type CostEstimate } from './cost-estimate.js';
import type { UploadProgress } from './presigned-transfer.js';

/** The cluster and limit choices of the command line; the region defaults to the API's. */
export type AwsClusterChoices = Omit<
  AwsCampaignChoices,
  'program' | 'args' | 'workingDir' | 'buildCommand' | 'region'
> & { readonly region?: string };

export interface AwsCampaignOptions {
  readonly program: string;
  readonly args: readonly string[];
  readonly workingDir: string;
  readonly stateDir: string | null;
  readonly force: boolean;
  readonly buildCommand: BuildCommand;
  readonly maxSourceBytes: number;
  readonly choices: AwsClusterChoices;
  /** `submit`: return once the campaign is started. */
  readonly detach: boolean;
  readonly pollMs: number;
}

/** What the user is asked to agree to before anything is created in their account. */
export interface CostQuote {
  readonly spec: CampaignSpec;
  readonly estimate: CostEstimate;
  readonly lines: readonly string[];
}

export interface AwsCampaignHooks {
  /** Resolves to proceed; throws (a usage error) or resolves false to create nothing. */
  confirm(quote: CostQuote): Promise<boolean>;
  /** Progress of the source upload; called with the size before the first byte. */
  uploadProgress?(totalBytes: number): { update: UploadProgress; done(): void };
}

export type AwsCampaignResult =
  | { readonly kind: 'declined' }
  | {
      readonly kind: 'nothing-to-do';
      readonly plan: CampaignPlan;
      readonly decision: ResumeDecision;
    }
  | { readonly kind: 'submitted'; readonly submission: AwsSubmission }
  | { readonly kind: 'collected'; readonly submission: AwsSubmission; readonly outcome: FollowOutcome };

/** `[0,1,2,3,7,9,10]` -> `0..3,7,9..10`: an OMNeT++ run filter selecting exactly these runs. */
export function runListFilter(runNumbers: readonly number[]): string {
  const sorted = [...new Set(runNumbers)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}..${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** What the records of a campaign built from this source with this build command are stamped with. */
export function awsFingerprint(snapshot: Pick<SourceSnapshot, 'hash'>, buildCommand: string | null): string {
  return `aws-${createHash('sha256')
    .update(JSON.stringify([snapshot.hash, buildCommand]))
    .digest('hex')
    .slice(0, 32)}`;
}

function stateDirOf(workingDir: string, stateDir: string | null): StateDir {
  return new StateDir(path.resolve(stateDir ?? path.join(workingDir, '.inet-swarm')));
}

/** The runs, planned with the program's own queries when it exists here; null when it does not. */
async function planHere(
  program: string,
  args: readonly string[],
  workingDir: string,
  observer: CampaignObserver,
): Promise<CampaignPlan | null> {
  let programPath: string;
  try {
    programPath = await resolveProgram(program, workingDir);
  } catch (error) {
    if (!(error instanceof CampaignInputError)) throw error;
    observer.notify({
      type: 'notice',
      message: `${program} is not built here, so the runs are enumerated in the cluster (${error.message})`,
    });
    return null;
  }
  return planCampaign(
    { program, args, workingDir },
    { program: new ProcessSimulationProgram(programPath, workingDir), readFile: readTextOrUndefined },
  );
}

export async function runAwsCampaign(
  options: AwsCampaignOptions,
  client: ControlPlaneClient,
  observer: CampaignObserver,
  hooks: AwsCampaignHooks,
  stop: AbortSignal,
): Promise<AwsCampaignResult> {
  const workingDir = path.resolve(options.workingDir);
  await checkWorkingDir(workingDir);
  const invocation = readInvocation(options.args);
  const buildCommand = buildCommandFor({ workingDir, buildCommand: options.buildCommand });
  const choicesFor = (args: readonly string[], snapshotDir: string): AwsCampaignChoices => ({
    ...options.choices,
    region: options.choices.region ?? client.region,
    program: options.program,
    args,
    workingDir: snapshotDir,
    buildCommand,
  });
  // Everything the user chose is checked before the source is even read.
  validateCampaignSpec(choicesFor(options.args, '.'));

  const resultDir = resolveResultDir(invocation, workingDir, readTextOrUndefined);
  const localCampaignId = campaignIdOf(
    { program: options.program, args: options.args, workingDir },
    invocation,
  );
  const state = stateDirOf(workingDir, options.stateDir);
  const plan = await planHere(options.program, options.args, workingDir, observer);
  const snapshot = await scanSource({
    projectDir: workingDir,
    exclude: [resultDir, state.root],
    maxBytes: options.maxSourceBytes,
  });
  const fingerprint = awsFingerprint(snapshot, buildCommand);
  await state.ensure();
  await ensureWritableDir(resultDir, 'result directory');
  await ensureWritableDir(state.campaignDir(localCampaignId), 'state directory');

  const index = { resultDir, workingDir, observer };
  return withCampaignState(state, localCampaignId, index, async (manifest, history) => {
    const deps = () => collectDeps(state, localCampaignId, { client, manifest, history, observer });
    const active = await catchUpWithEarlier(state, localCampaignId, deps(), stop);
    if (active !== null) {
      // The same study from the same source is still running there: follow it rather than pay twice.
      if (active.fingerprint !== fingerprint || options.force)
        throw new CampaignInputError(
          `AWS campaign ${active.awsCampaignId} of this study is still running${options.force ? '' : ' from another version of the source'}; ` +
            `collect it with \`inet-swarm attach --aws ${active.awsCampaignId}\` or stop it with \`inet-swarm cancel --aws ${active.awsCampaignId}\``,
        );
      observer.notify({
        type: 'notice',
        message: `AWS campaign ${active.awsCampaignId} of this study is still running; ${options.detach ? 'not submitting it again' : 'following it'}`,
      });
      if (options.detach) return { kind: 'submitted', submission: active };
      const outcome = await followAwsCampaign(
        { submission: active, runs: await submissionRuns(state, active) },
        deps(),
        { pollMs: options.pollMs },
        stop,
      );
      return { kind: 'collected', submission: active, outcome };
    }

    let decision: ResumeDecision | null = null;
    let todo: readonly RunSpec[] | null = null;
    if (plan !== null) {
      decision = await decideResume(
        plan.runs,
        await manifest.latestRecords(),
        fingerprint,
        new FileResultStore(resultDir, workingDir),
        options.force,
      );
      if (decision.todo.length === 0) return { kind: 'nothing-to-do', plan, decision };
      todo = decision.todo;
    }
    // Only what is still to do is sent: the cluster plans `-r <those runs>`, keeping their numbers.
    const clusterArgs =
      plan !== null && todo !== null && todo.length < plan.runs.length
        ? [...withoutRunFilter(options.args), '-r', runListFilter(todo.map((run) => run.runNumber))]
        : [...options.args];
    const draft = validateCampaignSpec(choicesFor(clusterArgs, snapshot.workingDir));
    const workSeconds =
      todo === null
        ? null
        : expectedWorkSeconds(
            todo,
            localCampaignId,
            invocation.configName,
            await history.load(localCampaignId),
          );
    const estimate = estimateCost(draft, todo?.length ?? null, workSeconds);
    if (decision !== null && decision.reused.length > 0)
      observer.notify({
        type: 'notice',
        message: `${decision.reused.length} of ${plan?.runs.length} runs have intact results here and are kept; submitting ${todo?.length}`,
      });
    if (!(await hooks.confirm({ spec: draft, estimate, lines: costEstimateLines(draft, estimate) })))
      return { kind: 'declined' };
    if (stop.aborted) return { kind: 'declined' };

    const dir = await mkdtemp(path.join(os.tmpdir(), 'inet-swarm-snapshot-'));
    try {
      const archive = path.join(dir, 'source.tar.gz');
      await packSnapshot(snapshot, archive);
      const source = { sha256: await sha256File(archive), size: (await stat(archive)).size };
      const spec = validateCampaignSpec(choicesFor(clusterArgs, snapshot.workingDir), source);
      const created = await client.createCampaign(spec);
      const campaignId = created.campaignId;
      if (created.upload !== null) {
        const progress = hooks.uploadProgress?.(source.size);
        try {
          await client.uploadSource(created.upload, archive, progress?.update);
        } finally {
          progress?.done();
        }
        observer.notify({
          type: 'notice',
          message: `uploaded the source (${snapshot.entries.length} files, ${(source.size / 2 ** 20).toFixed(1)} MiB compressed)`,
        });
      } else {
        observer.notify({ type: 'notice', message: 'the control plane has this source already' });
      }
      await start(client, campaignId);
      const submission: AwsSubmission = {
        v: 1,
        awsCampaignId: campaignId,
        localCampaignId,
        apiUrl: client.apiUrl,
        submittedAt: new Date().toISOString(),
        program: options.program,
        args: clusterArgs,
        configName: invocation.configName,
        workingDir,
        resultDir,
        fingerprint,
        attempts: spec.limits.maxRetries + 1,
        cluster: spec.cluster,
        buildCommand: spec.buildCommand,
        reused: decision?.reused.length ?? 0,
        todo: todo === null ? null : todo.map((run) => run.runNumber),
      };
      await saveSubmission(state, submission, todo);
      const git = await gitState(workingDir, [resultDir, state.root]);
      await new SessionLog(state.sessionsFile(localCampaignId)).append({
        kind: 'session',
        sessionId: campaignId,
        backend: 'aws',
        startedAt: submission.submittedAt,
        program: options.program,
        args: clusterArgs,
        workingDir,
        resultDir,
        jobs: null,
        plannedRuns: plan?.runs.length ?? null,
        provenance: {
          ...git,
          sourceHash: snapshot.hash,
          fingerprint,
          host: os.hostname(),
          nodeVersion: process.version,
        },
      });
      observer.notify({
        type: 'notice',
        message: `AWS campaign ${campaignId} started (inet-swarm status|logs|cancel --aws ${campaignId})`,
      });
      if (options.detach) return { kind: 'submitted', submission };
      const outcome = await followAwsCampaign(
        { submission, runs: todo },
        deps(),
        { pollMs: options.pollMs },
        stop,
      );
      return { kind: 'collected', submission, outcome };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

/** Starts the workflow; a start that reached the API although its answer was lost counts as started. */
async function start(client: ControlPlaneClient, campaignId: string): Promise<void> {
  try {
    await client.startCampaign(campaignId);
  } catch (error) {
    if (!(error instanceof CampaignStateConflictError)) throw error;
    const status = await client.campaign(campaignId);
    if (status.state === 'created') throw error;
  }
}

/**
 * Before deciding what to run, stores what the latest earlier AWS campaign of this study finished since
 * the last session, and restores its files that went missing here. Returns that campaign if its runs
 * are still going (it is not run a second time beside itself), else null.
 */
async function catchUpWithEarlier(
  state: StateDir,
  localCampaignId: string,
  deps: AwsCollectDeps,
  stop: AbortSignal,
): Promise<AwsSubmission | null> {
  const earlier = (await listSubmissions(state, localCampaignId)).at(-1);
  if (earlier === undefined) return null;
  let status;
  try {
    status = await deps.client.campaign(earlier.awsCampaignId);
  } catch (error) {
    if (error instanceof CampaignNotFoundError) return null; // expired from the bucket: nothing left to fetch
    throw error;
  }
  const runsDone =
    FINAL_STATES.includes(status.state) ||
    status.state === 'idle' ||
    status.state === 'tearing-down' ||
    (status.runs !== null && status.runs.finished >= status.runs.total);
  if (!runsDone) return earlier;
  const runs = await submissionRuns(state, earlier);
  const fetched = await downloadMissing({ submission: earlier, runs }, deps, stop);
  if (fetched.records > 0)
    deps.observer.notify({
      type: 'notice',
      message: `stored ${fetched.records} run(s) of AWS campaign ${earlier.awsCampaignId} finished since the last session`,
    });
  if (fetched.repaired > 0)
    deps.observer.notify({
      type: 'notice',
      message: `downloaded ${fetched.repaired} result file(s) of ${earlier.awsCampaignId} again that were missing or changed here`,
    });
  return null;
}

export interface AwsAttachOptions {
  readonly workingDir: string;
  readonly stateDir: string | null;
  /** An AWS campaign id or a unique prefix; null: the only submission in the state directory. */
  readonly campaign: string | null;
  readonly pollMs: number;
}

/** What collecting needs: the clients and stores, and the campaign's manifest and session log files. */
function collectDeps(
  state: StateDir,
  localCampaignId: string,
  deps: Pick<AwsCollectDeps, 'client' | 'manifest' | 'history' | 'observer'>,
): AwsCollectDeps {
  return {
    ...deps,
    manifestFile: state.manifestFile(localCampaignId),
    sessionLog: new SessionLog(state.sessionsFile(localCampaignId)),
  };
}

/** Continues collecting a submission whose client stopped (Ctrl-C, `submit`, a lost connection). */
export async function attachAwsCampaign(
  options: AwsAttachOptions,
  client: ControlPlaneClient,
  observer: CampaignObserver,
  stop: AbortSignal,
): Promise<{ submission: AwsSubmission; outcome: FollowOutcome }> {
  const state = stateDirOf(path.resolve(options.workingDir), options.stateDir);
  const submission = await findSubmission(state, options.campaign);
  const index = { resultDir: submission.resultDir, workingDir: submission.workingDir, observer };
  return withCampaignState(state, submission.localCampaignId, index, async (manifest, history) => {
    const runs = await submissionRuns(state, submission);
    const outcome = await followAwsCampaign(
      { submission, runs },
      collectDeps(state, submission.localCampaignId, { client, manifest, history, observer }),
      { pollMs: options.pollMs },
      stop,
    );
    return { submission, outcome };
  });
}

/** Downloads whatever the campaign has that this machine lacks, without waiting for more. */
export async function downloadAwsResults(
  options: Omit<AwsAttachOptions, 'pollMs'>,
  client: ControlPlaneClient,
  observer: CampaignObserver,
  stop: AbortSignal,
): Promise<{ submission: AwsSubmission; records: number; files: number; repaired: number }> {
  const state = stateDirOf(path.resolve(options.workingDir), options.stateDir);
  const submission = await findSubmission(state, options.campaign);
  const index = { resultDir: submission.resultDir, workingDir: submission.workingDir, observer };
  return withCampaignState(state, submission.localCampaignId, index, async (manifest, history) => {
    const runs = await submissionRuns(state, submission);
    const fetched = await downloadMissing(
      { submission, runs },
      collectDeps(state, submission.localCampaignId, { client, manifest, history, observer }),
      stop,
    );
    return { submission, ...fetched };
  });
}
