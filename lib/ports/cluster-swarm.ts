/**
 * The Docker Swarm on a provisioned cluster, as the control plane sees it from outside: how many nodes
 * have joined, and deploying the inet-swarm stack with the campaign's agent. In AWS this goes through
 * the manager instance (SSM); in tests, through the Docker API of a local swarm standing in for it.
 */
import type { ClusterStatus } from './cluster-provisioner.js';

export interface AgentSettings {
  readonly campaignId: string;
  readonly bucket: string;
  readonly region: string;
}

export interface ClusterSwarm {
  /** Nodes of the swarm that are ready (managers included); 0 while it is forming. */
  readyNodes(cluster: ClusterStatus): Promise<number>;
  /** Deploys or updates the stack, agent included; idempotent. */
  deploy(cluster: ClusterStatus, agent: AgentSettings): Promise<void>;
}
