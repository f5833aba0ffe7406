/**
 * Getting a campaign ready in the swarm: snapshot the project source (no pushed commit needed), upload
 * it once per content hash, build it once per (source, build settings) while streaming the build log,
 * then enumerate the runs inside the swarm with the built program's own queries, so the program need
 * not exist on the client at all.
 */
import { existsSync } from 'node:fs';
import { readTextOrUndefined } from '../../adapters/local/preflight.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { packSnapshot, scanSource } from '../../adapters/local/source-snapshot.js';
import { sha256File } from '../../adapters/local/sha256-file.js';
import type { CampaignPlan } from '../../core/campaign.js';
import { CampaignInputError, GatewayError } from '../../core/errors.js';
import { campaignIdOf } from '../../core/plan.js';
import { resolveResultDir } from '../../core/result-dir.js';
import { readInvocation } from '../../core/simulation-args.js';
import type { CampaignObserver } from '../../ports/campaign-observer.js';
import {
  decodeJobFailure,
  errorFromJobFailure,
  type BuildResult,
  type BuildSettings,
  type PlanResult,
} from '../build-jobs.js';
import type { JobView } from '../gateway/job-view.js';
import type { GatewayClient } from './gateway-client.js';

/** How the swarm builds the source: `auto` runs `make` when the working directory has a Makefile. */
export type BuildCommand =
  | { readonly kind: 'auto' }
  | { readonly kind: 'none' }
  | { readonly kind: 'command'; readonly command: string };

export interface PrepareRequest {
  readonly program: string;
  readonly args: readonly string[];
  /** Absolute working directory of the simulation on this machine. */
  readonly workingDir: string;
  /** Absolute state directory (never part of the snapshot). */
  readonly stateDir: string;
  readonly buildCommand: BuildCommand;
  readonly maxSourceBytes: number;
}

export interface PreparedCampaign {
  /** The plan with this machine's absolute paths, and the campaign id a local run would use. */
  readonly plan: CampaignPlan;
  readonly artifactKey: string;
  /** Paths of the simulation and its results relative to the snapshot root (= the artifact root). */
  readonly workingDirInArtifact: string;
  readonly resultDirInArtifact: string;
  readonly build: BuildResult;
  /** The build as the report shows it: its command (null: none) and whether an earlier one was reused. */
  readonly buildCommand: string | null;
  readonly buildReused: boolean;
  /** Content hash of the source snapshot. */
  readonly sourceHash: string;
}

const POLL_MS = 500;

export async function prepareCampaign(
  request: PrepareRequest,
  gateway: GatewayClient,
  observer: CampaignObserver,
  stop: AbortSignal,
): Promise<PreparedCampaign> {
  const invocation = readInvocation(request.args);
  // Known before any query: results are never part of the source.
  const localResultDir = resolveResultDir(invocation, request.workingDir, readTextOrUndefined);
  const snapshot = await scanSource({
    projectDir: request.workingDir,
    exclude: [localResultDir, request.stateDir],
    maxBytes: request.maxSourceBytes,
  });

  const sourceKey = `source-${snapshot.hash}`;
  if (!(await gateway.blobExists(sourceKey))) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'inet-swarm-snapshot-'));
    try {
      const archive = path.join(dir, 'source.tar.gz');
      await packSnapshot(snapshot, archive);
      const info = await gateway.uploadBlob(sourceKey, archive, await sha256File(archive));
      observer.notify({
        type: 'notice',
        message: `uploaded the source (${snapshot.entries.length} files, ${(info.size / 2 ** 20).toFixed(1)} MiB compressed)`,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  const settings: BuildSettings = {
    command: buildCommandFor(request),
    buildDir: snapshot.workingDir,
  };
  const requested = await gateway.requestBuild({ sourceKey, sourceHash: snapshot.hash, settings });
  const built = (await followJob(
    // An earlier build's log is not this submission's: skip it.
    (logFrom) => gateway.build(requested.id, requested.reused ? Number.MAX_SAFE_INTEGER : logFrom),
    observer,
    stop,
  )) as BuildResult;
  // A build that had succeeded before compiled nothing for this submission.
  const build: BuildResult = requested.reused ? { ...built, compiles: 0, distccHosts: {} } : built;
  observer.notify({ type: 'notice', message: buildSummary(build) });

  const planJobId = await gateway.requestPlan({
    artifactKey: build.artifactKey,
    program: request.program,
    args: request.args,
    workingDir: snapshot.workingDir,
  });
  const planned = (await followJob(() => gateway.plan(planJobId), observer, stop)) as PlanResult;
  const remotePlan = await downloadPlan(gateway, planned.planKey);
  observer.notify({ type: 'notice', message: `planned ${remotePlan.runs.length} runs in the swarm` });

  const resultDirInArtifact = remotePlan.resultDir;
  const localRoot = snapshot.root;
  const plan: CampaignPlan = {
    ...remotePlan,
    campaignId: campaignIdOf(
      { program: request.program, args: request.args, workingDir: request.workingDir },
      invocation,
    ),
    program: request.program,
    args: request.args,
    workingDir: request.workingDir,
    resultDir: path.join(localRoot, resultDirInArtifact),
  };
  if (path.relative(localRoot, plan.resultDir).startsWith('..'))
    throw new CampaignInputError(`the result directory ${resultDirInArtifact} is outside the project`);
  return {
    plan,
    artifactKey: build.artifactKey,
    workingDirInArtifact: snapshot.workingDir,
    resultDirInArtifact,
    build,
    buildCommand: settings.command,
    buildReused: requested.reused,
    sourceHash: snapshot.hash,
  };
}

/** Polls a builder job to its end, forwarding new log lines; its failure is rethrown as the typed error. */
export async function followJob(
  poll: (logFrom: number) => Promise<JobView>,
  observer: CampaignObserver,
  stop: AbortSignal,
  pollMs = POLL_MS,
): Promise<unknown> {
  let logFrom = 0;
  for (;;) {
    const view = await poll(logFrom);
    for (const line of view.log) observer.notify({ type: 'build-log', line });
    logFrom = view.logNext;
    if (view.state === 'succeeded') return view.result;
    if (view.state === 'failed') throw errorFromJobFailure(decodeJobFailure(view.failedReason ?? 'failed'));
    if (view.state === 'missing') throw new GatewayError(`the swarm lost job ${view.id}`);
    if (stop.aborted) throw new GatewayError('stopped while waiting for the swarm');
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

async function downloadPlan(gateway: GatewayClient, planKey: string): Promise<CampaignPlan> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'inet-swarm-plan-'));
  try {
    const file = path.join(dir, 'plan.json');
    await gateway.downloadBlob(planKey, file);
    return JSON.parse(await readFile(file, 'utf8')) as CampaignPlan;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The build command a campaign runs with (`auto`: `make` when the working directory has a Makefile). */
export function buildCommandFor(request: Pick<PrepareRequest, 'workingDir' | 'buildCommand'>): string | null {
  switch (request.buildCommand.kind) {
    case 'auto':
      return existsSync(path.join(request.workingDir, 'Makefile')) ? 'make' : null;
    case 'none':
      return null;
    case 'command':
      return request.buildCommand.command;
  }
}

/** `built artifact-…: 12 compiles in 9.1 s on 3 distcc daemons (10.0.1.5: 4, …)`. */
function buildSummary(build: BuildResult): string {
  if (build.compiles === 0) return `using the build ${build.artifactKey} (nothing to compile)`;
  const daemons = Object.entries(build.distccHosts);
  const where =
    daemons.length === 0
      ? 'on the builder itself (no distcc daemon answered)'
      : `on ${daemons.length} distcc daemon(s) (${daemons.map(([host, jobs]) => `${host}: ${jobs}`).join(', ')})`;
  return `built ${build.artifactKey}: ${build.compiles} compiles in ${(build.durationMs / 1000).toFixed(1)} s ${where}`;
}
