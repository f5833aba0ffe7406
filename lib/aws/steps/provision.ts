import { campaignKeys, clusterStackName } from '../bucket-layout.js';
import { clusterRate } from '../cost.js';
import type { WorkflowState } from '../workflow-state.js';
import type { ClusterProvisioner } from '../../ports/cluster-provisioner.js';
import type { ControlPlaneStore } from '../../ports/control-plane-store.js';
import { readSpec, readStatus, writeStatus } from './campaign-documents.js';

export interface ProvisionDeps {
  readonly store: ControlPlaneStore;
  readonly provisioner: ClusterProvisioner;
  readonly stage: string;
  readonly bucket: string;
  /** swarm/docker-stack.yml as packaged with the function, which the managers deploy. */
  readonly stackFile: { readonly path: string; readonly sha256: string };
  now(): Date;
}

/**
 * Puts the stack file where the cluster's managers fetch it, then starts creating the cluster stack
 * (named from the campaign id, so a retry or a teardown finds it without this step's result), with
 * the cluster's hourly price for its dashboard's cost meter. Returns at once: WaitForSwarm waits.
 * @throws CampaignNotFound if the campaign has no spec or status
 */
export async function provision(input: WorkflowState, deps: ProvisionDeps): Promise<{ stackName: string }> {
  const { campaignId } = input;
  const spec = await readSpec(deps.store, campaignId);
  const status = await readStatus(deps.store, campaignId);
  await deps.store.uploadFile(campaignKeys(campaignId).stackFile, deps.stackFile.path, deps.stackFile.sha256);
  const stackName = clusterStackName(deps.stage, campaignId);
  const { usdPerHour } = clusterRate(spec.cluster);
  await deps.provisioner.create({
    stackName,
    campaignId,
    options: spec.cluster,
    bucket: deps.bucket,
    usdPerHour,
  });
  await writeStatus(deps.store, status, { stackName }, deps.now());
  return { stackName };
}
