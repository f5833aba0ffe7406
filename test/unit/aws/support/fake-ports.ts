/* eslint-disable @typescript-eslint/require-await -- async to match the ports */
/** Small recording fakes of the cluster and workflow ports, for the steps' unit tests. */
import type {
  ClusterLeftover,
  ClusterPhase,
  ClusterProvisioner,
  ClusterRequest,
  ClusterStatus,
  ClusterSummary,
} from '../../../../lib/ports/cluster-provisioner.js';
import type { AgentSettings, ClusterSwarm } from '../../../../lib/ports/cluster-swarm.js';
import type { ExecutionPhase, WorkflowEngine } from '../../../../lib/ports/workflow-engine.js';

export class FakeProvisioner implements ClusterProvisioner {
  readonly created: ClusterRequest[] = [];
  readonly deleted: string[] = [];
  /** What `status` answers, per stack name; unknown stacks are deleted. */
  readonly stacks = new Map<string, ClusterStatus>();
  clusters: ClusterSummary[] = [];
  listError: Error | null = null;
  deleteError = new Map<string, Error>();
  readonly purged: string[] = [];
  /** What the instances left, per stack name: what `leftovers` reports and `purge` removes. */
  readonly leftParameters = new Map<string, { campaignId: string; names: string[] }>();
  leftoversError: Error | null = null;
  purgeError = new Map<string, Error>();

  setPhase(
    stackName: string,
    phase: ClusterPhase,
    outputs: Record<string, string> = {},
    reason: string | null = null,
  ) {
    this.stacks.set(stackName, { phase, reason, outputs });
  }

  async create(request: ClusterRequest): Promise<void> {
    this.created.push(request);
  }

  async status(stackName: string): Promise<ClusterStatus> {
    return this.stacks.get(stackName) ?? { phase: 'deleted', reason: null, outputs: {} };
  }

  async delete(stackName: string): Promise<void> {
    const error = this.deleteError.get(stackName);
    if (error !== undefined) throw error;
    this.deleted.push(stackName);
  }

  async list(): Promise<ClusterSummary[]> {
    if (this.listError !== null) throw this.listError;
    return this.clusters;
  }

  async purge(stackName: string): Promise<string[]> {
    const error = this.purgeError.get(stackName);
    if (error !== undefined) throw error;
    this.purged.push(stackName);
    const names = this.leftParameters.get(stackName)?.names ?? [];
    this.leftParameters.delete(stackName);
    return names;
  }

  async leftovers(): Promise<ClusterLeftover[]> {
    if (this.leftoversError !== null) throw this.leftoversError;
    return [...this.leftParameters].map(([stackName, { campaignId }]) => ({ stackName, campaignId }));
  }
}

export class FakeClusterSwarm implements ClusterSwarm {
  nodes = 0;
  readonly deployed: { cluster: ClusterStatus; agent: AgentSettings }[] = [];

  async readyNodes(): Promise<number> {
    return this.nodes;
  }

  async deploy(cluster: ClusterStatus, agent: AgentSettings): Promise<void> {
    this.deployed.push({ cluster, agent });
  }
}

export class FakeWorkflow implements WorkflowEngine {
  readonly started: string[] = [];
  /** Phase per execution ARN; unknown ones are null. */
  readonly phases = new Map<string, ExecutionPhase | Error>();
  startError: Error | null = null;

  async start(campaignId: string): Promise<{ executionArn: string }> {
    if (this.startError !== null) throw this.startError;
    this.started.push(campaignId);
    return { executionArn: executionArn(campaignId) };
  }

  async phase(arn: string): Promise<ExecutionPhase | null> {
    const phase = this.phases.get(arn);
    if (phase instanceof Error) throw phase;
    return phase ?? null;
  }
}

export const executionArn = (campaignId: string): string =>
  `arn:aws:states:eu-central-1:123456789012:execution:campaign-test:${campaignId}`;

/** A clock the test moves. */
export function clock(start = '2026-03-01T12:00:00.000Z') {
  let current = new Date(start);
  return {
    now: () => new Date(current),
    set: (iso: string) => {
      current = new Date(iso);
    },
    advance: (ms: number) => {
      current = new Date(current.getTime() + ms);
    },
  };
}
