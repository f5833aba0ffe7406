/** The functions EventBridge and S3 invoke: the sweeper, onExecutionEnd, and the two campaign starters. */
import {
  CloudFormationClient,
  CloudFormationServiceException,
  DeleteStackCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import {
  DeleteParametersCommand,
  DescribeParametersCommand,
  GetParametersByPathCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import '../../../support/aws-mock-matchers.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { campaignKeys, sourceKey } from '../../../../lib/aws/bucket-layout.js';
import { BUCKET, CAMPAIGN_ID, SOURCE_SHA, STAGE, specInput, status } from '../support/campaigns.js';
import {
  executionArnFor,
  lambdaContext,
  MockBucket,
  STATE_MACHINE_ARN,
  stubFunctionEnv,
} from '../support/aws-mocks.js';

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

const s3 = mockClient(S3Client);
const cfn = mockClient(CloudFormationClient);
const sfn = mockClient(SFNClient);
const ssm = mockClient(SSMClient);
const handlers: Record<string, Handler> = {};
let bucket: MockBucket;
const invoke = (name: string, event: unknown, requestId?: string) =>
  (handlers[name] as Handler)(event, lambdaContext(requestId));

beforeAll(async () => {
  stubFunctionEnv();
  handlers.sweeper = (await import('../../../../functions/sweeper/handler.js')).handler as Handler;
  handlers['on-execution-end'] = (await import('../../../../functions/on-execution-end/handler.js'))
    .handler as Handler;
  handlers['start-from-bucket'] = (await import('../../../../functions/start-from-bucket/handler.js'))
    .handler as Handler;
  handlers['start-scheduled'] = (await import('../../../../functions/start-scheduled/handler.js'))
    .handler as Handler;
});
afterAll(() => {
  vi.unstubAllEnvs();
});

beforeEach(() => {
  s3.reset();
  cfn.reset();
  sfn.reset();
  ssm.reset();
  bucket = new MockBucket(s3);
  cfn.on(DeleteStackCommand).resolves({});
  ssm.on(DescribeParametersCommand).resolves({ Parameters: [] });
  sfn.on(StartExecutionCommand).callsFake((input: { name?: string }) => ({
    executionArn: executionArnFor(input.name ?? ''),
    startDate: new Date(),
  }));
});

describe('sweeper', () => {
  it('deletes the cluster of a campaign whose execution stopped, found by its derived ARN', async () => {
    const tags = (campaignId: string, stage = STAGE) => [
      { Key: 'inet-swarm:campaign', Value: campaignId },
      { Key: 'inet-swarm:stage', Value: stage },
    ];
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: `inet-swarm-${STAGE}-${CAMPAIGN_ID}`,
          StackStatus: 'CREATE_COMPLETE',
          CreationTime: new Date(),
          Tags: tags(CAMPAIGN_ID),
        },
        {
          StackName: 'inet-swarm-prod-other-0000001',
          StackStatus: 'CREATE_COMPLETE',
          CreationTime: new Date(),
          Tags: tags('other-0000001', 'prod'),
        },
      ],
    });
    bucket.putJson(campaignKeys(CAMPAIGN_ID).status, status({ state: 'running' }));
    sfn.on(DescribeExecutionCommand).resolves({ status: 'ABORTED' });

    const result = await invoke('sweeper', { 'detail-type': 'Scheduled Event', detail: {} });

    expect(sfn).toHaveReceivedCommandExactlyOnceWith(DescribeExecutionCommand, {
      executionArn: executionArnFor(CAMPAIGN_ID),
    });
    expect(cfn).toHaveReceivedCommandExactlyOnceWith(DeleteStackCommand, {
      StackName: `inet-swarm-${STAGE}-${CAMPAIGN_ID}`,
    });
    expect(result).toMatchObject({
      checked: 1,
      deleted: [{ campaignId: CAMPAIGN_ID, reason: 'execution-not-running' }],
    });
  });

  it('fails when the stacks cannot be listed', async () => {
    cfn.on(DescribeStacksCommand).rejects(new Error('Rate exceeded'));
    await expect(invoke('sweeper', {})).rejects.toThrow('Rate exceeded');
  });

  it('purges the parameters of a deleted stack, found by the names of its stage', async () => {
    const gone = `inet-swarm-${STAGE}-gone-0000001`;
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [] });
    cfn.on(DescribeStacksCommand, { StackName: gone }).rejects(
      new CloudFormationServiceException({
        name: 'ValidationError',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: `Stack with id ${gone} does not exist`,
      }),
    );
    ssm
      .on(DescribeParametersCommand)
      .resolves({ Parameters: [{ Name: `/inet-swarm/${gone}/gateway-token` }] });
    ssm
      .on(GetParametersByPathCommand)
      .resolves({ Parameters: [{ Name: `/inet-swarm/${gone}/gateway-token` }] });
    ssm.on(DeleteParametersCommand).resolves({ DeletedParameters: [`/inet-swarm/${gone}/gateway-token`] });

    const result = await invoke('sweeper', {});

    expect(ssm).toHaveReceivedCommandWith(DescribeParametersCommand, {
      ParameterFilters: [{ Key: 'Name', Option: 'BeginsWith', Values: [`/inet-swarm/inet-swarm-${STAGE}-`] }],
    });
    expect(ssm).toHaveReceivedCommandExactlyOnceWith(DeleteParametersCommand, {
      Names: [`/inet-swarm/${gone}/gateway-token`],
    });
    expect(result).toMatchObject({
      purged: [{ stackName: gone, campaignId: 'gone-0000001', parameters: 1 }],
    });
  });
});

describe('onExecutionEnd', () => {
  const statusChange = (detail: Record<string, unknown>) => ({
    version: '0',
    id: 'event-1',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    detail: {
      executionArn: executionArnFor(CAMPAIGN_ID),
      stateMachineArn: STATE_MACHINE_ARN,
      name: CAMPAIGN_ID,
      status: 'TIMED_OUT',
      startDate: 1,
      stopDate: 2,
      input: '{}',
      output: null,
      ...detail,
    },
  });

  it('deletes the stack and fails the campaign of a timed-out execution', async () => {
    bucket.putJson(campaignKeys(CAMPAIGN_ID).status, status({ state: 'running' }));

    await invoke('on-execution-end', statusChange({ error: 'States.Timeout', cause: null }));

    expect(cfn).toHaveReceivedCommandExactlyOnceWith(DeleteStackCommand, {
      StackName: `inet-swarm-${STAGE}-${CAMPAIGN_ID}`,
    });
    expect(bucket.json(campaignKeys(CAMPAIGN_ID).status)).toMatchObject({
      state: 'failed',
      failure: { error: 'States.Timeout' },
    });
  });

  it('ignores a succeeded execution and executions not named like a campaign', async () => {
    expect(await invoke('on-execution-end', statusChange({ status: 'SUCCEEDED' }))).toBeNull();
    expect(await invoke('on-execution-end', statusChange({ name: 'Not_A_Campaign' }))).toBeNull();
    expect(cfn).not.toHaveReceivedCommand(DeleteStackCommand);
  });
});

describe('startFromBucket', () => {
  const notification = (key: string, bucketName = BUCKET) => ({
    Records: [
      {
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: bucketName }, object: { key, size: 100, sequencer: '0055AED6DCD90281E5' } },
      },
    ],
  });

  it('creates and starts the campaign of a spec file, once per write of it', async () => {
    bucket.putJson('campaigns/my study.json', specInput());
    bucket.putJson(sourceKey(SOURCE_SHA), 'snapshot');

    const [launched] = (await invoke('start-from-bucket', notification('campaigns/my+study.json'))) as {
      campaignId: string;
    }[];
    // S3 delivers the same event again, to another invocation.
    await invoke('start-from-bucket', notification('campaigns/my+study.json'), 'request-2');

    const campaignId = launched?.campaignId ?? '';
    expect(campaignId).toMatch(/^demo-study-[0-9a-z]{8}$/);
    expect(sfn).toHaveReceivedCommandExactlyOnceWith(StartExecutionCommand, {
      stateMachineArn: STATE_MACHINE_ARN,
      name: campaignId,
      input: JSON.stringify({ campaignId }),
    });
    expect(bucket.json(campaignKeys(campaignId).status)).toMatchObject({ state: 'validating' });
  });

  it('throws for a malformed spec, starting nothing', async () => {
    bucket.putJson('campaigns/bad.json', { program: 'opp_run' });
    await expect(invoke('start-from-bucket', notification('campaigns/bad.json'))).rejects.toMatchObject({
      name: 'CampaignSpecInvalid',
      message: 'campaigns/bad.json: the campaign spec is invalid',
    });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('ignores objects outside campaigns/ and other buckets', async () => {
    await invoke('start-from-bucket', notification('data/x/status.json'));
    await invoke('start-from-bucket', notification('campaigns/a.json', 'someone-elses-bucket'));
    expect(s3).not.toHaveReceivedCommand(GetObjectCommand);
  });
});

describe('startScheduled', () => {
  it('starts a new campaign from the schedule spec each time the schedule fires', async () => {
    bucket.putJson('schedules/nightly.json', specInput());
    bucket.putJson(sourceKey(SOURCE_SHA), 'snapshot');

    const first = (await invoke('start-scheduled', { schedule: 'nightly', id: 'event-1' })) as {
      campaignId: string;
    };
    const retried = (await invoke('start-scheduled', { schedule: 'nightly', id: 'event-1' })) as {
      started: boolean;
    };
    const next = (await invoke('start-scheduled', { schedule: 'nightly', id: 'event-2' })) as {
      campaignId: string;
    };

    expect(retried.started).toBe(false);
    expect(next.campaignId).not.toBe(first.campaignId);
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 2);
  });

  it('refuses a schedule name that is not one', async () => {
    await expect(invoke('start-scheduled', { schedule: '../data/x/spec' })).rejects.toMatchObject({
      name: 'InvalidEvent',
    });
    expect(s3).not.toHaveReceivedCommand(GetObjectCommand);
  });
});
