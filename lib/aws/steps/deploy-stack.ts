import { clusterStackName } from '../bucket-layout.js';
import { ClusterNotReadyError, ClusterProvisionFailedError } from '../errors.js';
import type { WorkflowState } from '../workflow-state.js';
import type { ClusterProvisioner } from '../../ports/cluster-provisioner.js';
import type { ClusterSwarm } from '../../ports/cluster-swarm.js';
import type { ControlPlaneStore } from '../../ports/control-plane-store.js';
import { readStatus, writeStatus } from './campaign-documents.js';

export interface DeployStackDeps {
  readonly store: ControlPlaneStore;
  readonly provisioner: ClusterProvisioner;
  readonly clusterSwarm: ClusterSwarm;
  readonly stage: string;
  readonly bucket: string;
  /** The control plane's region: where the agent finds the bucket and Step Functions. */
  readonly region: string;
  now(): Date;
}

/**
 * Deploys the inet-swarm stack, with the campaign's agent, on the swarm WaitForSwarm found ready.
 * @throws ClusterNotReady if the managers cannot run the deploy yet (the ASL retries)
 * @throws ClusterProvisionFailed if the cluster stack is no longer there to deploy to
 */
export async function deployStack(input: WorkflowState, deps: DeployStackDeps): Promise<void> {
  const { campaignId } = input;
  const stackName = input.cluster?.stackName ?? clusterStackName(deps.stage, campaignId);
  const cluster = await deps.provisioner.status(stackName);
  if (cluster.phase === 'creating')
    throw new ClusterNotReadyError(`the cluster stack ${stackName} is being created`);
  if (cluster.phase !== 'ready')
    throw new ClusterProvisionFailedError(`the cluster stack ${stackName} is ${cluster.phase}`);
  await deps.clusterSwarm.deploy(cluster, { campaignId, bucket: deps.bucket, region: deps.region });
  const status = await readStatus(deps.store, campaignId);
  await writeStatus(deps.store, status, { state: 'building' }, deps.now());
}
