/**
 * The state machine's functions as Step Functions invokes them: the workflow state in, a result or an
 * error whose name is what the ASL's Retry and Catch match.
 */
import {
  CloudFormationClient,
  CloudFormationServiceException,
  DeleteStackCommand,
  DescribeStacksCommand,
  type StackStatus,
} from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import {
  DeleteParametersCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import '../../../support/aws-mock-matchers.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { agentCommandSchema } from '../../../../lib/aws/agent-protocol.js';
import { campaignKeys, sourceKey } from '../../../../lib/aws/bucket-layout.js';
import { CAMPAIGN_ID, SOURCE_SHA, STAGE, spec, specInput, status } from '../support/campaigns.js';
import { lambdaContext, MockBucket, stubFunctionEnv } from '../support/aws-mocks.js';

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

const s3 = mockClient(S3Client);
const cfn = mockClient(CloudFormationClient);
const ssm = mockClient(SSMClient);
const keys = campaignKeys(CAMPAIGN_ID);
const stackName = `inet-swarm-${STAGE}-${CAMPAIGN_ID}`;
const handlers: Record<string, Handler> = {};
let bucket: MockBucket;

const invoke = (name: string, event: unknown) => (handlers[name] as Handler)(event, lambdaContext());
const stack = (StackStatus: StackStatus, Outputs: { OutputKey: string; OutputValue: string }[] = []) => ({
  Stacks: [
    { StackName: stackName, StackId: `id-${stackName}`, StackStatus, CreationTime: new Date(), Outputs },
  ],
});

beforeAll(async () => {
  stubFunctionEnv();
  handlers.validate = (await import('../../../../functions/validate/handler.js')).handler as Handler;
  handlers['wait-for-swarm'] = (await import('../../../../functions/wait-for-swarm/handler.js'))
    .handler as Handler;
  handlers['agent-task'] = (await import('../../../../functions/agent-task/handler.js')).handler as Handler;
  handlers['check-budget'] = (await import('../../../../functions/check-budget/handler.js'))
    .handler as Handler;
  handlers.teardown = (await import('../../../../functions/teardown/handler.js')).handler as Handler;
  handlers['check-teardown'] = (await import('../../../../functions/check-teardown/handler.js'))
    .handler as Handler;
});
afterAll(() => {
  vi.unstubAllEnvs();
});

beforeEach(() => {
  s3.reset();
  cfn.reset();
  ssm.reset();
  bucket = new MockBucket(s3);
  bucket.putJson(keys.spec, spec());
  bucket.putJson(keys.status, status({ state: 'provisioning' }));
  bucket.putJson(sourceKey(SOURCE_SHA), 'snapshot');
});

describe('validate', () => {
  it('returns the limits the ASL reads', async () => {
    expect(await invoke('validate', { campaignId: CAMPAIGN_ID })).toEqual({
      idleGraceSeconds: 300,
      maxLifetimeSeconds: 86_400,
      startedAt: expect.any(String) as string,
    });
  });

  it('fails as CampaignSpecInvalid when the source is missing', async () => {
    bucket.objects.delete(sourceKey(SOURCE_SHA));
    await expect(invoke('validate', { campaignId: CAMPAIGN_ID })).rejects.toMatchObject({
      name: 'CampaignSpecInvalid',
    });
  });
});

describe('waitForSwarm', () => {
  it('fails as ClusterNotReady while the stack is being created', async () => {
    cfn.on(DescribeStacksCommand).resolves(stack('CREATE_IN_PROGRESS'));
    await expect(
      invoke('wait-for-swarm', { campaignId: CAMPAIGN_ID, cluster: { stackName } }),
    ).rejects.toMatchObject({
      name: 'ClusterNotReady',
    });
  });

  it('counts the swarm nodes the managers publish', async () => {
    cfn.on(DescribeStacksCommand).resolves(
      stack('CREATE_COMPLETE', [
        { OutputKey: 'SwarmReadyParameter', OutputValue: '/inet-swarm/test/ready' },
        { OutputKey: 'ManagerPublicIp', OutputValue: '203.0.113.9' },
      ]),
    );
    ssm.on(GetParameterCommand, { Name: '/inet-swarm/test/ready' }).resolves({ Parameter: { Value: '2' } });
    expect(await invoke('wait-for-swarm', { campaignId: CAMPAIGN_ID, cluster: { stackName } })).toEqual({
      nodes: 2,
      managerAddress: '203.0.113.9',
    });
  });
});

describe('agentTask', () => {
  it('writes the command with the task token for the agent', async () => {
    await invoke('agent-task', {
      command: 'fan-out',
      taskToken: 'AAAA-token',
      state: { campaignId: CAMPAIGN_ID },
    });
    expect(agentCommandSchema.parse(bucket.json(keys.control('fan-out')))).toMatchObject({
      command: 'fan-out',
      taskToken: 'AAAA-token',
    });
  });

  it('refuses an input without a task token', async () => {
    await expect(
      invoke('agent-task', { command: 'build', state: { campaignId: CAMPAIGN_ID } }),
    ).rejects.toMatchObject({
      name: 'InvalidEvent',
    });
    expect(bucket.objects.has(keys.control('build'))).toBe(false);
  });
});

describe('checkBudget', () => {
  it('fails as BudgetExceeded when the projected cost passes the budget', async () => {
    bucket.putJson(keys.spec, spec({ limits: { budgetUsd: 1 }, cluster: { ...specInput().cluster } }));
    const state = {
      campaignId: CAMPAIGN_ID,
      limits: { idleGraceSeconds: 300, maxLifetimeSeconds: 86_400, startedAt: new Date().toISOString() },
      progress: { total: 100, ok: 1, failed: 0, finished: 1, remainingSeconds: 1_000_000, allFinal: false },
    };
    await expect(invoke('check-budget', state)).rejects.toMatchObject({ name: 'BudgetExceeded' });
  });
});

describe('teardown and checkTeardown', () => {
  it('deletes the stack named from the campaign id', async () => {
    cfn.on(DeleteStackCommand).resolves({});
    await invoke('teardown', {
      campaignId: CAMPAIGN_ID,
      failure: { Error: 'ClusterProvisionFailed', Cause: 'x' },
    });
    expect(cfn).toHaveReceivedCommandExactlyOnceWith(DeleteStackCommand, { StackName: stackName });
    expect(bucket.json(keys.status)).toMatchObject({ state: 'tearing-down' });
  });

  it('fails as TeardownPending while the stack is being deleted', async () => {
    cfn.on(DescribeStacksCommand).resolves(stack('DELETE_IN_PROGRESS'));
    await expect(invoke('check-teardown', { campaignId: CAMPAIGN_ID })).rejects.toMatchObject({
      name: 'TeardownPending',
    });
  });

  it('fails as TeardownFailed when the deletion failed', async () => {
    cfn.on(DescribeStacksCommand).resolves(stack('DELETE_FAILED'));
    await expect(invoke('check-teardown', { campaignId: CAMPAIGN_ID })).rejects.toMatchObject({
      name: 'TeardownFailed',
    });
  });

  it("purges the stack's parameters and writes the final status once the stack is gone", async () => {
    cfn.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({
        name: 'ValidationError',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: `Stack with id ${stackName} does not exist`,
      }),
    );
    const token = `/inet-swarm/${stackName}/gateway-token`;
    ssm.on(GetParametersByPathCommand).resolves({ Parameters: [{ Name: token }] });
    ssm.on(DeleteParametersCommand).resolves({ DeletedParameters: [token] });

    await invoke('check-teardown', { campaignId: CAMPAIGN_ID, teardownFailure: undefined });

    expect(ssm).toHaveReceivedCommandWith(GetParametersByPathCommand, {
      Path: `/inet-swarm/${stackName}`,
      Recursive: true,
    });
    expect(ssm).toHaveReceivedCommandExactlyOnceWith(DeleteParametersCommand, { Names: [token] });
    expect(bucket.json(keys.status)).toMatchObject({ state: 'succeeded', failure: null });
  });

  it('writes the final status even when the parameters cannot be purged', async () => {
    cfn.on(DescribeStacksCommand).resolves(stack('DELETE_COMPLETE'));
    ssm.on(GetParametersByPathCommand).rejects(new Error('AccessDeniedException'));

    await invoke('check-teardown', { campaignId: CAMPAIGN_ID, failure: { Error: 'States.Timeout' } });

    expect(bucket.json(keys.status)).toMatchObject({ state: 'failed', failure: { error: 'States.Timeout' } });
  });
});
