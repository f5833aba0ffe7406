import { clusterStackName } from '../bucket-layout.js';
import { CampaignCancelledError, ClusterNotReadyError, ClusterProvisionFailedError } from '../errors.js';
import type { WorkflowState } from '../workflow-state.js';
import type { ClusterProvisioner } from '../../ports/cluster-provisioner.js';
import type { ClusterSwarm } from '../../ports/cluster-swarm.js';
import type { ControlPlaneStore } from '../../ports/control-plane-store.js';
import { cancelRequest, readSpec, readStatus, writeStatus } from './campaign-documents.js';

/** The dashboard's published port in swarm/docker-stack.yml, unless the stack outputs another. */
export const DEFAULT_DASHBOARD_PORT = 8081;

export interface WaitForSwarmDeps {
  readonly store: ControlPlaneStore;
  readonly provisioner: ClusterProvisioner;
  readonly clusterSwarm: ClusterSwarm;
  readonly stage: string;
  now(): Date;
}

/**
 * One look at the cluster: ready once its stack is complete and the swarm has every manager and at
 * least one worker. Not every worker: spot capacity may arrive late or not at all (the auto scaling
 * group keeps asking), the runners spread onto workers as they join, and waiting for the last one
 * could run out WaitForSwarm's retries and fail a campaign that most of its cluster could run. Every
 * manager, because the raft quorum and the stack's manager-only services need them.
 * @throws ClusterNotReady while the stack is being created or the swarm is forming (the ASL retries)
 * @throws ClusterProvisionFailed if the stack failed, or is gone or going
 * @throws CampaignCancelled if a cancel request exists
 */
export async function waitForSwarm(
  input: WorkflowState,
  deps: WaitForSwarmDeps,
): Promise<{ nodes: number; managerAddress: string | null }> {
  const { campaignId } = input;
  const cancel = await cancelRequest(deps.store, campaignId);
  if (cancel !== null)
    throw new CampaignCancelledError(`campaign ${campaignId} was cancelled: ${cancel.reason}`);

  const stackName = input.cluster?.stackName ?? clusterStackName(deps.stage, campaignId);
  const cluster = await deps.provisioner.status(stackName);
  switch (cluster.phase) {
    case 'creating':
      throw new ClusterNotReadyError(`the cluster stack ${stackName} is being created`);
    case 'failed':
      throw new ClusterProvisionFailedError(
        `the cluster stack ${stackName} failed: ${cluster.reason ?? 'CloudFormation gave no reason'}`,
      );
    case 'deleting':
    case 'deleted':
    case 'delete-failed':
      throw new ClusterProvisionFailedError(`the cluster stack ${stackName} is ${cluster.phase}`);
    case 'ready':
      break;
  }

  const spec = await readSpec(deps.store, campaignId);
  const needed = spec.cluster.managerSize + 1;
  const nodes = await deps.clusterSwarm.readyNodes(cluster);
  if (nodes < needed)
    throw new ClusterNotReadyError(
      `${nodes} of ${spec.cluster.managerSize + spec.cluster.clusterSize} swarm nodes are ready; waiting for at least ${needed}`,
    );

  const managerAddress = cluster.outputs.ManagerPublicIp ?? null;
  const port = Number(cluster.outputs.DashboardPort ?? DEFAULT_DASHBOARD_PORT);
  const status = await readStatus(deps.store, campaignId);
  await writeStatus(
    deps.store,
    status,
    { cluster: { managerAddress, dashboardPort: Number.isInteger(port) ? port : DEFAULT_DASHBOARD_PORT } },
    deps.now(),
  );
  return { nodes, managerAddress };
}
