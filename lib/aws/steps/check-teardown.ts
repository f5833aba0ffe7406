import { campaignKeys, clusterStackName } from '../bucket-layout.js';
import { campaignStatusSchema, type CampaignState } from '../campaign-status.js';
import { TeardownFailedError, TeardownPendingError, type CampaignCancelledError } from '../errors.js';
import type { WorkflowState } from '../workflow-state.js';
import type { ClusterProvisioner } from '../../ports/cluster-provisioner.js';
import type { ControlPlaneStore } from '../../ports/control-plane-store.js';
import { statusFailure, writeStatus } from './campaign-documents.js';
import type { StepLogger } from './step-logger.js';

export interface CheckTeardownDeps {
  readonly store: ControlPlaneStore;
  readonly provisioner: ClusterProvisioner;
  readonly stage: string;
  readonly log: StepLogger;
  now(): Date;
}

/** Typed by the error class, so renaming the error breaks this line rather than the outcome. */
const CANCELLED: CampaignCancelledError['name'] = 'CampaignCancelled';

/**
 * One look at the cluster stack being deleted. Once it is gone, purges what its instances left outside
 * it, then writes the campaign's final status: succeeded, cancelled (the failure that brought it here
 * is a cancellation) or failed. A stack that is not being deleted (a delete that CloudFormation has not
 * picked up yet, or a creation it finished first) is asked to delete again.
 * @throws TeardownPending while the stack is being deleted (the ASL retries)
 * @throws TeardownFailed if CloudFormation could not delete it (DELETE_FAILED)
 */
export async function checkTeardown(input: WorkflowState, deps: CheckTeardownDeps): Promise<void> {
  const { campaignId } = input;
  const stackName = input.cluster?.stackName ?? clusterStackName(deps.stage, campaignId);
  const cluster = await deps.provisioner.status(stackName);
  switch (cluster.phase) {
    case 'deleting':
      throw new TeardownPendingError(`the cluster stack ${stackName} is being deleted`);
    case 'delete-failed':
      throw new TeardownFailedError(
        `the cluster stack ${stackName} could not be deleted: ${cluster.reason ?? 'CloudFormation gave no reason'}`,
      );
    case 'creating':
    case 'ready':
    case 'failed':
      await deps.provisioner.delete(stackName);
      throw new TeardownPendingError(
        `the cluster stack ${stackName} is ${cluster.phase}; asked to delete it again`,
      );
    case 'deleted':
      break;
  }
  await purgeLeftovers(stackName, campaignId, deps);

  const status = await deps.store.getJson(campaignKeys(campaignId).status, campaignStatusSchema);
  if (status === null) return;
  const failure = input.failure === undefined ? null : statusFailure(input.failure);
  const state: CampaignState =
    failure === null ? 'succeeded' : failure.error === CANCELLED ? 'cancelled' : 'failed';
  await writeStatus(deps.store, status, { state, failure }, deps.now());
}

/**
 * Not before the stack is gone: the managers rewrite `ready-nodes` every 30 s while they live. A
 * failure is logged, not thrown: the ASL retries CheckTeardown only on TeardownPending and Lambda's
 * own faults, so an SDK error would end a campaign whose cluster is deleted in TeardownFailed, over
 * parameters that cost nothing. The sweeper purges them later.
 */
async function purgeLeftovers(stackName: string, campaignId: string, deps: CheckTeardownDeps): Promise<void> {
  try {
    const parameters = await deps.provisioner.purge(stackName);
    if (parameters.length > 0)
      deps.log.info('purged cluster leftovers', { campaignId, stackName, parameters });
  } catch (error) {
    deps.log.warn('could not purge cluster leftovers', { campaignId, stackName, error });
  }
}
