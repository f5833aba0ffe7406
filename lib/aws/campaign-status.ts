/**
 * What anyone watching an AWS campaign reads (`data/<id>/status.json`): written by the API at
 * creation, by the steps as the workflow moves, and by the meter with cost and ETA; these run one at a
 * time (the workflow is sequential). The agent's run counts, written concurrently, live in their own
 * document and are laid over the status by its readers (withProgress).
 */
import { z } from 'zod';

export const campaignStateSchema = z.enum([
  'created', // spec stored, waiting for the source upload and a start
  'validating',
  'provisioning',
  'building',
  'running',
  'idle', // every run final, grace period before teardown
  'tearing-down',
  'succeeded',
  'failed',
  'cancelled',
]);
export type CampaignState = z.infer<typeof campaignStateSchema>;

export const FINAL_STATES: readonly CampaignState[] = ['succeeded', 'failed', 'cancelled'];

export const runProgressSchema = z.strictObject({
  total: z.number().int().nonnegative(),
  ok: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  /** Runs whose records are stored (final); the rest are queued or running. */
  finished: z.number().int().nonnegative(),
  /** Seconds of simulation work still expected, from runtime history and throughput; null: unknown. */
  remainingSeconds: z.number().nonnegative().nullable(),
});
export type RunProgress = z.infer<typeof runProgressSchema>;

/** `data/<id>/progress.json`: the agent's run counts, with when it counted them. */
export const agentProgressSchema = runProgressSchema.extend({ updatedAt: z.string() });
export type AgentProgress = z.infer<typeof agentProgressSchema>;

/**
 * The status as people see it: the workflow's status with the agent's newer run counts laid over it.
 * The two are separate documents so that neither writer can undo the other's update.
 */
export function withProgress(status: CampaignStatus, progress: AgentProgress | null): CampaignStatus {
  if (progress === null) return status;
  const { updatedAt, ...runs } = progress;
  return { ...status, runs, updatedAt: updatedAt > status.updatedAt ? updatedAt : status.updatedAt };
}

export const campaignStatusSchema = z.strictObject({
  v: z.literal(1),
  campaignId: z.string(),
  name: z.string().nullable(),
  state: campaignStateSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().nullable(),
  executionArn: z.string().nullable(),
  stackName: z.string().nullable(),
  runs: runProgressSchema.nullable(),
  cost: z
    .strictObject({
      /** Instance-hours so far times their price. */
      soFarUsd: z.number().nonnegative(),
      /** So far plus what the remaining work is expected to cost. */
      projectedUsd: z.number().nonnegative(),
      budgetUsd: z.number().positive().nullable(),
    })
    .nullable(),
  /** Error name and cause when the campaign failed or was cancelled. */
  failure: z.strictObject({ error: z.string(), cause: z.string() }).nullable(),
  /** Manager address and dashboard port, once the cluster is up (for `aws connect`). */
  cluster: z
    .strictObject({ managerAddress: z.string().nullable(), dashboardPort: z.number().int() })
    .nullable(),
});
export type CampaignStatus = z.infer<typeof campaignStatusSchema>;

/** The status of a campaign just created: nothing started, nothing spent. */
export function newCampaignStatus(campaignId: string, name: string | null, now: Date): CampaignStatus {
  const at = now.toISOString();
  return {
    v: 1,
    campaignId,
    name,
    state: 'created',
    createdAt: at,
    updatedAt: at,
    startedAt: null,
    executionArn: null,
    stackName: null,
    runs: null,
    cost: null,
    failure: null,
    cluster: null,
  };
}
