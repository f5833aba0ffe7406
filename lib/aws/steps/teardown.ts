import type { WorkflowState } from '../workflow-state.js';
import type { ClusterProvisioner } from '../../ports/cluster-provisioner.js';
import type { ControlPlaneStore } from '../../ports/control-plane-store.js';
import { campaignKeys, clusterStackName } from '../bucket-layout.js';
import { campaignStatusSchema } from '../campaign-status.js';
import { statusFailure, writeStatus } from './campaign-documents.js';

export interface TeardownDeps {
  readonly store: ControlPlaneStore;
  readonly provisioner: ClusterProvisioner;
  readonly stage: string;
  now(): Date;
}

/**
 * Starts deleting the cluster stack, whichever way the campaign got here (its last run, a limit, a
 * failure). The stack is named from the campaign id, so it is deleted even when Provision failed
 * before returning its name; deleting a stack that does not exist does nothing. The stack goes
 * first: the status is only a record, and a missing one must not keep machines running.
 */
export async function teardown(input: WorkflowState, deps: TeardownDeps): Promise<void> {
  const { campaignId } = input;
  const stackNames = new Set([clusterStackName(deps.stage, campaignId)]);
  if (input.cluster !== undefined) stackNames.add(input.cluster.stackName);
  for (const stackName of stackNames) await deps.provisioner.delete(stackName);

  const status = await deps.store.getJson(campaignKeys(campaignId).status, campaignStatusSchema);
  if (status === null) return;
  await writeStatus(
    deps.store,
    status,
    {
      state: 'tearing-down',
      failure: input.failure === undefined ? status.failure : statusFailure(input.failure),
    },
    deps.now(),
  );
}
