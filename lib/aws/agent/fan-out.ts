/**
 * The `fan-out` command: the swarm's builder enumerates the runs with the built program's own
 * queries, the plan is kept in the bucket (data/<id>/plan.json), and every run is queued in the swarm
 * as one unit with a deterministic id, so that doing this twice (a restarted agent) queues nothing
 * twice.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { sha256File } from '../../adapters/local/sha256-file.js';
import type { CampaignPlan } from '../../core/campaign.js';
import { RuntimeEstimator } from '../../core/runtime-history.js';
import { priorityOrder } from '../../core/schedule.js';
import type { ControlPlaneStore } from '../../ports/control-plane-store.js';
import type { RetryPolicy } from '../../ports/run-queue.js';
import { artifactKeyOf, type PlanResult } from '../../swarm/build-jobs.js';
import { followJob } from '../../swarm/client/prepare-campaign.js';
import { enqueueInOrder } from '../../swarm/client/run-swarm-campaign.js';
import { campaignKeys } from '../bucket-layout.js';
import type { CampaignSpec } from '../campaign-spec.js';
import type { SwarmGateway } from './agent-options.js';
import { buildRequestOf } from './build-in-swarm.js';

export interface FanOutContext {
  readonly campaignId: string;
  readonly store: ControlPlaneStore;
  readonly gateway: SwarmGateway;
  readonly scratchDir: string;
  readonly jobPollMs: number;
  readonly unitRetryDelayMs: number;
  readonly now: () => Date;
}

/** Attempts the queue makes per run: the first and the spec's retries. */
export function retryPolicyOf(spec: CampaignSpec, backoffMs: number): RetryPolicy {
  return { attempts: spec.limits.maxRetries + 1, backoffMs };
}

/**
 * Plans the campaign in the swarm, stores the plan and queues its runs; returns the plan.
 * @throws SimulationQueryError, CampaignInputError when the program refuses the arguments
 */
export async function fanOut(
  spec: CampaignSpec,
  context: FanOutContext,
  signal: AbortSignal,
): Promise<CampaignPlan> {
  const { gateway, campaignId } = context;
  // The build step succeeded before the workflow sent fan-out: its artifact is the one of this spec.
  const artifactKey = artifactKeyOf(buildRequestOf(spec));
  const planJobId = await gateway.requestPlan({
    artifactKey,
    program: spec.program,
    args: spec.args,
    workingDir: spec.workingDir,
  });
  const planned = (await followJob(
    () => gateway.plan(planJobId),
    { notify: () => undefined },
    signal,
    context.jobPollMs,
  )) as PlanResult;

  let plan: CampaignPlan;
  const dir = await mkdtemp(path.join(context.scratchDir, 'agent-plan-'));
  try {
    const file = path.join(dir, 'plan.json');
    await gateway.downloadBlob(planned.planKey, file);
    // Stored as the swarm wrote it: a 100,000-run plan is tens of MB, not worth serialising again.
    await context.store.uploadFile(campaignKeys(campaignId).plan, file, await sha256File(file));
    plan = JSON.parse(await readFile(file, 'utf8')) as CampaignPlan;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  await gateway.putCampaign({
    campaignId,
    artifactKey,
    program: spec.program,
    args: [...spec.args],
    workingDir: spec.workingDir,
    resultDir: plan.resultDir,
    runTimeoutMs: spec.limits.runTimeoutMs,
    // One session per AWS campaign: defining it again (a restarted agent) changes nothing.
    sessionId: campaignId,
    fingerprint: artifactKey,
    configName: plan.configName,
    totalRuns: plan.runs.length,
    submittedAt: context.now().toISOString(),
  });
  // Longest-expected first, as in swarm mode; a fresh cluster has no runtime history yet, so every run
  // is unknown and they go in run order (probed early, as the scheduler does with unknown runs).
  const ordered = priorityOrder(plan.runs, new RuntimeEstimator(plan.campaignId, plan.configName, []));
  await enqueueInOrder(gateway, campaignId, ordered, retryPolicyOf(spec, context.unitRetryDelayMs), false);
  return plan;
}
