import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import '../../../support/aws-mock-matchers.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { SfnWorkflowEngine } from '../../../../lib/adapters/aws/sfn-workflow-engine.js';
import { CampaignStateConflictError } from '../../../../lib/aws/errors.js';

const STATE_MACHINE = 'arn:aws:states:eu-central-1:123456789012:stateMachine:inet-swarm-dev-campaign';
const EXECUTION = 'arn:aws:states:eu-central-1:123456789012:execution:inet-swarm-dev-campaign:camp-1';
const client = new SFNClient({ region: 'eu-central-1' });
const sfn = mockClient(client);
const engine = new SfnWorkflowEngine(client, STATE_MACHINE);

beforeEach(() => {
  sfn.reset();
});

describe('SfnWorkflowEngine', () => {
  it('starts an execution named after the campaign with the campaign id as input', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
    expect(await engine.start('camp-1')).toEqual({ executionArn: EXECUTION });
    expect(sfn).toHaveReceivedCommandExactlyOnceWith(StartExecutionCommand, {
      stateMachineArn: STATE_MACHINE,
      name: 'camp-1',
      input: '{"campaignId":"camp-1"}',
    });
  });

  it('turns ExecutionAlreadyExists into CampaignStateConflict', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    const thrown = await engine.start('camp-1').catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(CampaignStateConflictError);
    expect(thrown).toMatchObject({ name: 'CampaignStateConflict' });
    expect((thrown as Error).cause).toBeInstanceOf(ExecutionAlreadyExists);
  });

  it.each([
    ['RUNNING', 'running'],
    ['SUCCEEDED', 'succeeded'],
    ['FAILED', 'failed'],
    ['TIMED_OUT', 'timed-out'],
    ['ABORTED', 'aborted'],
    ['PENDING_REDRIVE', 'failed'],
  ] as const)('reports %s as %s', async (status, phase) => {
    sfn.on(DescribeExecutionCommand).resolves({ status, executionArn: EXECUTION });
    expect(await engine.phase(EXECUTION)).toBe(phase);
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: EXECUTION });
  });

  it('says null for an execution Step Functions does not know', async () => {
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'nope', $metadata: {} }));
    expect(await engine.phase(EXECUTION)).toBeNull();
  });

  it('refuses a status it does not know rather than guess', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: 'PAUSED' as 'RUNNING' });
    await expect(engine.phase(EXECUTION)).rejects.toThrow(/unknown status PAUSED/);
  });
});
