import { campaignKeys } from '../bucket-layout.js';
import { campaignSpecSchema } from '../campaign-spec.js';
import { campaignStatusSchema, FINAL_STATES, type CampaignStatus } from '../campaign-status.js';
import type { ClusterProvisioner, ClusterSummary } from '../../ports/cluster-provisioner.js';
import type { ControlPlaneStore } from '../../ports/control-plane-store.js';
import type { ExecutionPhase, WorkflowEngine } from '../../ports/workflow-engine.js';
import type { StepLogger } from './step-logger.js';

/** Beyond its campaign's lifetime, a cluster gets this long for IdleGrace and Teardown before it counts as lost. */
export const SWEEP_MARGIN_MS = 60 * 60 * 1000;
/** The lifetime assumed for a cluster whose spec cannot be read: the platform's maximum (campaign-spec.ts). */
export const MAX_LIFETIME_MINUTES = 7 * 24 * 60;
/** Deleted clusters whose leftovers one sweep purges at most (a backlog goes over several sweeps). */
export const MAX_PURGES_PER_SWEEP = 50;

export interface SweeperDeps {
  readonly store: ControlPlaneStore;
  readonly provisioner: ClusterProvisioner;
  readonly workflow: WorkflowEngine;
  /** The execution a campaign's workflow runs as (its name is the campaign id). */
  executionArnOf(campaignId: string): string;
  readonly log: StepLogger;
  now(): Date;
}

export type SweepReason = 'campaign-ended' | 'execution-not-running' | 'lifetime-exceeded';

export interface SweepResult {
  readonly checked: number;
  readonly deleted: { stackName: string; campaignId: string; reason: SweepReason; detail: string }[];
  /** Deleted clusters whose leftovers (see ClusterProvisioner.purge) this sweep removed. */
  readonly purged: { stackName: string; campaignId: string; parameters: number }[];
  /** Clusters the sweeper could not judge, delete or purge this time (logged); the next sweep tries again. */
  readonly errors: { stackName: string; campaignId: string; message: string }[];
}

/**
 * The safety net behind the workflow's own Teardown: deletes every cluster stack of this stage whose
 * campaign has ended, whose workflow execution is not running (it failed, timed out or was stopped
 * without reaching Teardown, or never existed), or that has outlived its campaign's lifetime by more
 * than {@link SWEEP_MARGIN_MS}. Stacks already being deleted are left alone; ones whose deletion
 * failed are asked again. Then purges the leftovers of clusters whose stack is gone but nobody waited
 * for that (a workflow that ended without CheckTeardown, or whose purge failed), at most
 * {@link MAX_PURGES_PER_SWEEP} of them. One cluster's problem is logged and does not stop the others;
 * a failure to list the clusters or the leftovers at all is thrown, so that the schedule's failure
 * metrics show it.
 */
export async function sweep(deps: SweeperDeps): Promise<SweepResult> {
  const clusters = await deps.provisioner.list();
  const result: SweepResult = { checked: clusters.length, deleted: [], purged: [], errors: [] };
  for (const cluster of clusters) {
    if (cluster.phase === 'deleting') continue;
    const { stackName, campaignId } = cluster;
    try {
      const verdict = await judge(cluster, deps);
      if (verdict === null) continue;
      await deps.provisioner.delete(stackName);
      result.deleted.push({ stackName, campaignId, ...verdict });
      deps.log.warn('swept cluster', { stackName, campaignId, ...verdict });
    } catch (error) {
      result.errors.push({ stackName, campaignId, message: messageOf(error) });
      deps.log.error('could not sweep cluster', { stackName, campaignId, error });
    }
  }
  await purgeLeftovers(new Set(clusters.map((c) => c.stackName)), result, deps);
  return result;
}

/**
 * Every live cluster has leftovers (the stack's own parameters are among them): only those not listed
 * as live are candidates, and each is looked up by name, since `list` skips stacks without this stage's
 * tags and one may have been created since.
 */
async function purgeLeftovers(live: ReadonlySet<string>, result: SweepResult, deps: SweeperDeps) {
  const candidates = (await deps.provisioner.leftovers()).filter((l) => !live.has(l.stackName));
  for (const { stackName, campaignId } of candidates) {
    if (result.purged.length >= MAX_PURGES_PER_SWEEP) break;
    try {
      if ((await deps.provisioner.status(stackName)).phase !== 'deleted') continue;
      const parameters = await deps.provisioner.purge(stackName);
      result.purged.push({ stackName, campaignId, parameters: parameters.length });
      deps.log.info('purged cluster leftovers', { stackName, campaignId, parameters });
    } catch (error) {
      result.errors.push({ stackName, campaignId, message: messageOf(error) });
      deps.log.error('could not purge cluster leftovers', { stackName, campaignId, error });
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function judge(
  cluster: ClusterSummary,
  deps: SweeperDeps,
): Promise<{ reason: SweepReason; detail: string } | null> {
  const { campaignId } = cluster;
  const status = await readOrNull(deps, campaignId, () =>
    deps.store.getJson(campaignKeys(campaignId).status, campaignStatusSchema),
  );
  if (status !== null && FINAL_STATES.includes(status.state))
    return { reason: 'campaign-ended', detail: `the campaign is ${status.state}` };

  const phase: ExecutionPhase | null = await deps.workflow.phase(deps.executionArnOf(campaignId));
  if (phase !== 'running')
    return { reason: 'execution-not-running', detail: `the workflow execution is ${phase ?? 'unknown'}` };

  const lifetimeMinutes = await lifetimeOf(deps, campaignId);
  const since = startOf(status) ?? cluster.createdAt;
  const age = deps.now().getTime() - since.getTime();
  if (age > lifetimeMinutes * 60_000 + SWEEP_MARGIN_MS)
    return {
      reason: 'lifetime-exceeded',
      detail: `up ${Math.floor(age / 60_000)} min, lifetime ${lifetimeMinutes} min`,
    };
  return null;
}

/** The campaign's start, or null to count from the stack's creation. */
function startOf(status: CampaignStatus | null): Date | null {
  return status === null || status.startedAt === null ? null : new Date(status.startedAt);
}

async function lifetimeOf(deps: SweeperDeps, campaignId: string): Promise<number> {
  const spec = await readOrNull(deps, campaignId, () =>
    deps.store.getJson(campaignKeys(campaignId).spec, campaignSpecSchema),
  );
  return spec?.limits.maxLifetimeMinutes ?? MAX_LIFETIME_MINUTES;
}

/**
 * A document that cannot be read (missing, or not matching its schema) must not protect the cluster
 * from the sweep: it is judged as if the document were missing, by its execution and its age.
 */
async function readOrNull<T>(
  deps: SweeperDeps,
  campaignId: string,
  read: () => Promise<T | null>,
): Promise<T | null> {
  try {
    return await read();
  } catch (error) {
    deps.log.warn('unreadable campaign document', { campaignId, error });
    return null;
  }
}
