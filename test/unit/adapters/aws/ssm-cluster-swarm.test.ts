import {
  CancelCommandCommand,
  GetParameterCommand,
  InvalidCommandId,
  ListCommandInvocationsCommand,
  ParameterNotFound,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import '../../../support/aws-mock-matchers.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { SsmClusterSwarm } from '../../../../lib/adapters/aws/ssm-cluster-swarm.js';
import { ClusterNotReadyError } from '../../../../lib/aws/errors.js';
import type { ClusterStatus } from '../../../../lib/ports/cluster-provisioner.js';

const client = new SSMClient({ region: 'eu-central-1' });
const ssm = mockClient(client);
const swarm = new SsmClusterSwarm(client, { pollIntervalMs: 1, deployWaitMs: 2000 });
const STACK = 'inet-swarm-dev-camp-1';
const cluster: ClusterStatus = {
  phase: 'ready',
  reason: null,
  outputs: { SwarmReadyParameter: '/inet-swarm/dev/camp-1/swarm-ready', StackName: STACK },
};
const agent = { campaignId: 'camp-1', bucket: 'control-bucket', region: 'eu-central-1' };

beforeEach(() => {
  ssm.reset();
  ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-1' } });
});

describe('SsmClusterSwarm.readyNodes', () => {
  it('reads the node count the managers keep in the parameter named by the stack', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: 'x', Value: '5' } });
    expect(await swarm.readyNodes(cluster)).toBe(5);
    expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, {
      Name: '/inet-swarm/dev/camp-1/swarm-ready',
    });
  });

  it('says 0 while the parameter does not exist yet', async () => {
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
    expect(await swarm.readyNodes(cluster)).toBe(0);
  });

  it('says 0 when the stack has no such output yet, without asking SSM', async () => {
    expect(await swarm.readyNodes({ ...cluster, outputs: {} })).toBe(0);
    expect(ssm).not.toHaveReceivedCommand(GetParameterCommand);
  });

  it('refuses a parameter that does not hold a count', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'ready' } });
    await expect(swarm.readyNodes(cluster)).rejects.toThrow(/does not hold a node count/);
  });
});

describe('SsmClusterSwarm.deploy', () => {
  it('runs the deploy script on the managers of the stack, one at a time, quoted', async () => {
    ssm.on(ListCommandInvocationsCommand).resolves({
      CommandInvocations: [{ InstanceId: 'i-1', Status: 'Success' }],
    });
    await swarm.deploy(cluster, { ...agent, bucket: "odd'bucket" });
    expect(ssm).toHaveReceivedCommandExactlyOnceWith(SendCommandCommand, {
      DocumentName: 'AWS-RunShellScript',
      Targets: [
        { Key: 'tag:inet-swarm:role', Values: ['manager'] },
        { Key: 'tag:aws:cloudformation:stack-name', Values: [STACK] },
      ],
      MaxConcurrency: '1',
      MaxErrors: '0',
      Parameters: {
        commands: [`'/opt/inet-swarm/deploy.sh' 'camp-1' 'odd'\\''bucket' 'eu-central-1'`],
      },
    });
    expect(ssm).toHaveReceivedCommandWith(ListCommandInvocationsCommand, {
      CommandId: 'cmd-1',
      Details: true,
    });
  });

  it('waits while the command is pending or runs, until every manager succeeded', async () => {
    ssm
      .on(ListCommandInvocationsCommand)
      .rejectsOnce(new InvalidCommandId({ message: 'not visible yet', $metadata: {} }))
      .resolvesOnce({ CommandInvocations: [] })
      .resolvesOnce({ CommandInvocations: [{ InstanceId: 'i-1', Status: 'Pending' }] })
      .resolvesOnce({
        CommandInvocations: [
          { InstanceId: 'i-1', Status: 'Success' },
          { InstanceId: 'i-2', Status: 'InProgress' },
        ],
      })
      .resolves({
        CommandInvocations: [
          { InstanceId: 'i-1', Status: 'Success' },
          { InstanceId: 'i-2', Status: 'Success' },
        ],
      });
    await swarm.deploy(cluster, agent);
    expect(ssm).toHaveReceivedCommandTimes(ListCommandInvocationsCommand, 5);
  });

  it('reads every page of invocations', async () => {
    ssm
      .on(ListCommandInvocationsCommand, { NextToken: undefined })
      .resolves({ CommandInvocations: [{ InstanceId: 'i-1', Status: 'Success' }], NextToken: 'n2' })
      .on(ListCommandInvocationsCommand, { NextToken: 'n2' })
      .resolvesOnce({ CommandInvocations: [{ InstanceId: 'i-2', Status: 'InProgress' }] })
      .resolves({ CommandInvocations: [{ InstanceId: 'i-2', Status: 'Success' }] });
    await swarm.deploy(cluster, agent);
    expect(ssm).toHaveReceivedCommandTimes(ListCommandInvocationsCommand, 4);
  });

  it.each(['Failed', 'Cancelled', 'TimedOut'] as const)(
    'fails with the output tail when the script is %s',
    async (Status) => {
      const output = Array.from({ length: 50 }, (_, i) => `line ${i}`).join('\n');
      ssm.on(ListCommandInvocationsCommand).resolves({
        CommandInvocations: [
          { InstanceId: 'i-1', Status, CommandPlugins: [{ Name: 'aws:runShellScript', Output: output }] },
        ],
      });
      const thrown = await swarm.deploy(cluster, agent).catch((e: unknown) => e);
      expect(thrown).toBeInstanceOf(Error);
      expect(thrown).not.toBeInstanceOf(ClusterNotReadyError);
      const message = (thrown as Error).message;
      expect(message).toContain(`ended ${Status} on i-1`);
      expect(message).toContain('line 49');
      expect(message).toContain('line 20');
      expect(message).not.toContain('line 19\n');
    },
  );

  it('says the cluster is not ready when the command is still pending after the wait, and cancels it', async () => {
    const impatient = new SsmClusterSwarm(client, { pollIntervalMs: 1, deployWaitMs: 30 });
    ssm
      .on(ListCommandInvocationsCommand)
      .resolves({ CommandInvocations: [{ InstanceId: 'i-1', Status: 'Pending' }] });
    ssm.on(CancelCommandCommand).resolves({});
    const thrown = await impatient.deploy(cluster, agent).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(ClusterNotReadyError);
    expect(thrown).toMatchObject({ name: 'ClusterNotReady' });
    expect(ssm).toHaveReceivedCommandWith(CancelCommandCommand, { CommandId: 'cmd-1' });
  });

  it('refuses a cluster without a StackName output', async () => {
    await expect(swarm.deploy({ ...cluster, outputs: {} }, agent)).rejects.toThrow(/StackName/);
    expect(ssm).not.toHaveReceivedCommand(SendCommandCommand);
  });
});
