/**
 * What anyone watching an AWS campaign reads (`data/<id>/status.json`): written by the API at
 * creation, by the steps as the workflow moves, by the agent as runs finish, and by the meter with
 * cost and ETA. Every writer replaces the whole object it read (last writer wins): the fields each
 * writer owns do not overlap, and readers only ever need a recent view.
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
