/**
 * Creates and deletes the EC2 cluster a campaign runs on (CloudFormation in AWS), and what its
 * instances leave outside it. Every operation is idempotent, so a retried step or a second teardown
 * path (the sweeper) is harmless.
 */
import type { ClusterOptions } from '../aws/campaign-spec.js';

export interface ClusterRequest {
  readonly stackName: string;
  readonly campaignId: string;
  readonly options: ClusterOptions;
  /** The control plane's bucket: the instances may read and write only `data/<campaignId>/` and `sources/`. */
  readonly bucket: string;
  /** What the cluster costs per hour (lib/aws/cost.ts), for the cost meter of its dashboard. */
  readonly usdPerHour: number;
}

export type ClusterPhase = 'creating' | 'ready' | 'failed' | 'deleting' | 'deleted' | 'delete-failed';

export interface ClusterStatus {
  readonly phase: ClusterPhase;
  /** CloudFormation's reason for a failure, for the campaign's failure cause. */
  readonly reason: string | null;
  /** Stack outputs (ManagerInstanceId, ManagerPublicIp, ...). */
  readonly outputs: Readonly<Record<string, string>>;
}

export interface ClusterSummary {
  readonly stackName: string;
  readonly campaignId: string;
  readonly createdAt: Date;
  readonly phase: ClusterPhase;
}

/** A cluster, live or deleted, whose instances left something outside its stack (see `purge`). */
export interface ClusterLeftover {
  readonly stackName: string;
  readonly campaignId: string;
}

export interface ClusterProvisioner {
  /** Starts creating the cluster; an existing stack of that name is left as it is. */
  create(request: ClusterRequest): Promise<void>;
  /** The stack's phase; 'deleted' if there is no such stack. */
  status(stackName: string): Promise<ClusterStatus>;
  /** Starts deleting the stack; nothing if it is gone already. */
  delete(stackName: string): Promise<void>;
  /** Every inet-swarm cluster stack of this stage that is not deleted (for the sweeper). */
  list(): Promise<ClusterSummary[]>;
  /**
   * Removes what the cluster's instances left outside the stack (in AWS, the SSM parameters under
   * `/inet-swarm/<stackName>/`: join tokens, leader lock, gateway token) and returns their names. Call
   * it only once the stack is deleted: live instances write them again.
   */
  purge(stackName: string): Promise<string[]>;
  /** Every cluster named like one of this stage's that left something `purge` removes (for the sweeper). */
  leftovers(): Promise<ClusterLeftover[]>;
}
