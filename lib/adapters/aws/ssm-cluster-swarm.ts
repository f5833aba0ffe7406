/**
 * The swarm on an AWS cluster, reached through Systems Manager: the control plane has no network path
 * into the cluster's VPC and needs none. The cluster template provides, through stack outputs:
 *
 *   SwarmReadyParameter  an SSM String parameter the managers keep at the number of ready swarm nodes
 *   StackName            the stack's own name, which SSM targets with the `aws:cloudformation:stack-name`
 *                        tag CloudFormation puts on every instance
 *
 * and installs `/opt/inet-swarm/deploy.sh <campaignId> <bucket> <region>` on the managers (tagged
 * `inet-swarm:role=manager`), which deploys or updates the stack file from the bucket. Deploying runs
 * that script through Run Command and waits a bounded time for it, so the step stays within a Lambda's
 * time and the state machine's Retry does the long waiting.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CancelCommandCommand,
  GetParameterCommand,
  InvalidCommandId,
  ListCommandInvocationsCommand,
  ParameterNotFound,
  SendCommandCommand,
  type CommandInvocation,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { ClusterNotReadyError } from '../../aws/errors.js';
import type { ClusterStatus } from '../../ports/cluster-provisioner.js';
import type { AgentSettings, ClusterSwarm } from '../../ports/cluster-swarm.js';

export const DEPLOY_SCRIPT = '/opt/inet-swarm/deploy.sh';
export const MANAGER_ROLE_TAG = 'inet-swarm:role';

/** Invocation statuses after which nothing more will happen. */
const FAILED_STATUSES = new Set(['Failed', 'Cancelled', 'TimedOut']);
/** Lines of a failed deploy's output carried in the error. */
const OUTPUT_TAIL_LINES = 30;

export interface SsmClusterSwarmOptions {
  /** Between two looks at the deploy command. */
  readonly pollIntervalMs?: number;
  /** How long `deploy` waits for the command before it says the cluster is not ready (ASL retries). */
  readonly deployWaitMs?: number;
}

export class SsmClusterSwarm implements ClusterSwarm {
  private readonly pollIntervalMs: number;
  private readonly deployWaitMs: number;

  constructor(
    private readonly client: SSMClient,
    options: SsmClusterSwarmOptions = {},
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 3000;
    this.deployWaitMs = options.deployWaitMs ?? 90_000;
  }

  /** 0 while the parameter (or the output naming it) does not exist yet: the swarm is forming. */
  async readyNodes(cluster: ClusterStatus): Promise<number> {
    const name = cluster.outputs.SwarmReadyParameter;
    if (name === undefined) return 0;
    let value: string | undefined;
    try {
      const response = await this.client.send(new GetParameterCommand({ Name: name }));
      value = response.Parameter?.Value;
    } catch (error) {
      if (error instanceof ParameterNotFound) return 0;
      throw error;
    }
    if (value === undefined || !/^\d+$/.test(value.trim()))
      throw new Error(`SSM parameter ${name} does not hold a node count: ${JSON.stringify(value)}`);
    return Number(value.trim());
  }

  /**
   * Runs the deploy script on the managers, one at a time (`docker stack deploy` is idempotent, and
   * a manager that is not the leader forwards to it).
   * @throws ClusterNotReadyError if the command has not finished within `deployWaitMs` (it is cancelled)
   * @throws Error with the script's output tail if it failed on a manager
   */
  async deploy(cluster: ClusterStatus, agent: AgentSettings): Promise<void> {
    const stackName = cluster.outputs.StackName;
    if (stackName === undefined) throw new Error('the cluster stack has no StackName output');
    const script = [DEPLOY_SCRIPT, agent.campaignId, agent.bucket, agent.region].map(shellQuote).join(' ');
    const { Command } = await this.client.send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        Targets: [
          { Key: `tag:${MANAGER_ROLE_TAG}`, Values: ['manager'] },
          { Key: 'tag:aws:cloudformation:stack-name', Values: [stackName] },
        ],
        MaxConcurrency: '1',
        // Stop at the first manager that fails rather than repeat the failure on the others.
        MaxErrors: '0',
        Parameters: { commands: [script] },
        Comment: `inet-swarm deploy ${agent.campaignId}`,
      }),
    );
    const commandId = Command?.CommandId;
    if (commandId === undefined) throw new Error('SendCommand returned no command id');

    const deadline = Date.now() + this.deployWaitMs;
    for (;;) {
      const invocations = await this.invocations(commandId);
      const failed = invocations.find((i) => FAILED_STATUSES.has(i.Status ?? ''));
      if (failed !== undefined)
        throw new Error(
          `${DEPLOY_SCRIPT} ended ${failed.Status} on ${failed.InstanceId}:\n${outputTail(failed)}`,
        );
      if (invocations.length > 0 && invocations.every((i) => i.Status === 'Success')) return;
      if (Date.now() >= deadline) break;
      await sleep(this.pollIntervalMs);
    }
    // Cancel it so a retried deploy does not overlap this one (best effort: it may just have finished).
    await this.client.send(new CancelCommandCommand({ CommandId: commandId })).catch(() => undefined);
    throw new ClusterNotReadyError(
      `the deploy command ${commandId} did not finish on the managers of ${stackName} within ${Math.round(this.deployWaitMs / 1000)} s`,
    );
  }

  private async invocations(commandId: string): Promise<CommandInvocation[]> {
    const invocations: CommandInvocation[] = [];
    let nextToken: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListCommandInvocationsCommand({ CommandId: commandId, Details: true, NextToken: nextToken }),
        );
      } catch (error) {
        // Right after SendCommand the id may not be visible yet (eventual consistency): nothing to see.
        if (error instanceof InvalidCommandId) return [];
        throw error;
      }
      invocations.push(...(page.CommandInvocations ?? []));
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
    return invocations;
  }
}

/** POSIX single quoting: the word is taken literally by the shell, whatever it holds. */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The last lines of the invocation's output (SSM keeps its first 2,500 characters per plugin). */
function outputTail(invocation: CommandInvocation): string {
  const output = (invocation.CommandPlugins ?? []).map((plugin) => plugin.Output ?? '').join('\n');
  const lines = output.trimEnd().split('\n');
  return lines.slice(-OUTPUT_TAIL_LINES).join('\n');
}
