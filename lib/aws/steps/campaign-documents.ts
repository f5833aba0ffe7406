/**
 * Reading and writing a campaign's documents (spec, status, cancel request) the way every step does:
 * a missing campaign is CampaignNotFound, every status write stamps `updatedAt`, and a Catch's
 * `{ Error, Cause }` becomes the status's `{ error, cause }` in words a person can read.
 */
import { z } from 'zod';
import { cancelRequestSchema, type CancelRequest } from '../agent-protocol.js';
import { campaignKeys } from '../bucket-layout.js';
import { campaignSpecSchema, type CampaignSpec } from '../campaign-spec.js';
import { campaignStatusSchema, FINAL_STATES, type CampaignStatus } from '../campaign-status.js';
import { CampaignNotFoundError } from '../errors.js';
import type { WorkflowState } from '../workflow-state.js';
import type { ControlPlaneStore } from '../../ports/control-plane-store.js';

/** @throws CampaignNotFoundError if the campaign has no status */
export async function readStatus(store: ControlPlaneStore, campaignId: string): Promise<CampaignStatus> {
  const status = await store.getJson(campaignKeys(campaignId).status, campaignStatusSchema);
  if (status === null) throw new CampaignNotFoundError(`no campaign ${campaignId}`);
  return status;
}

/**
 * The stored spec, which was validated when it was stored (Validate checks it again, with issues).
 * @throws CampaignNotFoundError if the campaign has no spec
 */
export async function readSpec(store: ControlPlaneStore, campaignId: string): Promise<CampaignSpec> {
  const spec = await store.getJson(campaignKeys(campaignId).spec, campaignSpecSchema);
  if (spec === null) throw new CampaignNotFoundError(`campaign ${campaignId} has no spec`);
  return spec;
}

/** Replaces the status with `changes` applied and a fresh `updatedAt`; returns what it wrote. */
export async function writeStatus(
  store: ControlPlaneStore,
  status: CampaignStatus,
  changes: Partial<Omit<CampaignStatus, 'v' | 'campaignId' | 'createdAt' | 'updatedAt'>>,
  now: Date,
): Promise<CampaignStatus> {
  const next: CampaignStatus = { ...status, ...changes, updatedAt: now.toISOString() };
  await store.putJson(campaignKeys(status.campaignId).status, next);
  return next;
}

/** The user's cancel request, or null if there is none. */
export function cancelRequest(store: ControlPlaneStore, campaignId: string): Promise<CancelRequest | null> {
  return store.getJson(campaignKeys(campaignId).control('cancel'), cancelRequestSchema);
}

export const isFinal = (status: CampaignStatus): boolean => FINAL_STATES.includes(status.state);

const lambdaErrorSchema = z.object({ errorMessage: z.string() });

/**
 * A Catch's failure as the status shows it. The Cause of a Lambda error is the runtime's JSON
 * (`{"errorType", "errorMessage", "trace"}`): people need its message, not the stack trace. An agent's
 * SendTaskFailure cause is plain text and kept as it is.
 */
export function statusFailure(failure: NonNullable<WorkflowState['failure']>): {
  error: string;
  cause: string;
} {
  const cause = failure.Cause ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(cause);
  } catch {
    return { error: failure.Error, cause };
  }
  const lambdaError = lambdaErrorSchema.safeParse(parsed);
  return { error: failure.Error, cause: lambdaError.success ? lambdaError.data.errorMessage : cause };
}

/** A value an earlier state must have put into the workflow state; its absence is a bug in the ASL. */
export function fromEarlierState<T>(value: T | undefined, key: keyof WorkflowState): T {
  if (value === undefined)
    throw new Error(`the workflow state has no ${key}: the state machine skipped a step`);
  return value;
}
