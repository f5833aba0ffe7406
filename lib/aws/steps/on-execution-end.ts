import { campaignKeys, clusterStackName } from '../bucket-layout.js';
import { campaignStatusSchema, type CampaignState } from '../campaign-status.js';
import type { CampaignCancelledError } from '../errors.js';
import type { ClusterProvisioner } from '../../ports/cluster-provisioner.js';
import type { ControlPlaneStore } from '../../ports/control-plane-store.js';
import { cancelRequest, isFinal, writeStatus } from './campaign-documents.js';

export interface ExecutionEnd {
  readonly campaignId: string;
  readonly executionArn: string;
  /** Step Functions' execution status. */
  readonly status: 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  /** The execution's error and cause, when Step Functions reports them. */
  readonly error: string | null;
  readonly cause: string | null;
}

export interface OnExecutionEndDeps {
  readonly store: ControlPlaneStore;
  readonly provisioner: ClusterProvisioner;
  readonly stage: string;
  now(): Date;
}

const CANCELLED: CampaignCancelledError['name'] = 'CampaignCancelled';

const DEFAULT_ERROR: Readonly<Record<ExecutionEnd['status'], string>> = {
  FAILED: 'ExecutionFailed',
  TIMED_OUT: 'States.Timeout',
  ABORTED: 'ExecutionAborted',
};

/**
 * After a workflow execution failed, timed out or was stopped: deletes the campaign's cluster stack
 * and, unless the workflow recorded the end itself, marks the campaign failed (cancelled, if it was
 * stopped after a cancel request). A timeout or a stop skips the state machine's Teardown; a failure
 * usually went through it (its Fail states come after CheckTeardown), and then the stack is gone, the
 * status final, and this changes nothing.
 */
export async function onExecutionEnd(
  end: ExecutionEnd,
  deps: OnExecutionEndDeps,
): Promise<{ stackName: string; state: CampaignState | null }> {
  const { campaignId } = end;
  const stackName = clusterStackName(deps.stage, campaignId);
  await deps.provisioner.delete(stackName);

  const status = await deps.store.getJson(campaignKeys(campaignId).status, campaignStatusSchema);
  if (status === null || isFinal(status)) return { stackName, state: null };
  // Only a stop is a cancellation: a failure or a timeout after a cancel request still failed.
  const cancel = end.status === 'ABORTED' ? await cancelRequest(deps.store, campaignId) : null;
  const state: CampaignState = cancel === null ? 'failed' : 'cancelled';
  const failure =
    cancel === null
      ? {
          error: end.error ?? DEFAULT_ERROR[end.status],
          cause: end.cause ?? `the workflow execution ${end.executionArn} ended ${end.status.toLowerCase()}`,
        }
      : { error: CANCELLED, cause: cancel.reason };
  await writeStatus(deps.store, status, { state, failure }, deps.now());
  return { stackName, state };
}
