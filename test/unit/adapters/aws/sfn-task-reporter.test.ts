import {
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  SFNServiceException,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import '../../../support/aws-mock-matchers.js';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  MAX_CAUSE_LENGTH,
  MAX_ERROR_LENGTH,
  SfnTaskReporter,
  TaskTokenExpiredError,
} from '../../../../lib/adapters/aws/sfn-task-reporter.js';

const client = new SFNClient({ region: 'eu-central-1' });
const sfn = mockClient(client);
const reporter = new SfnTaskReporter(client);

beforeEach(() => {
  sfn.reset();
});

describe('SfnTaskReporter', () => {
  it('sends the output of a finished task as JSON', async () => {
    sfn.on(SendTaskSuccessCommand).resolves({});
    await reporter.succeed('token-1', { totalRuns: 42 });
    expect(sfn).toHaveReceivedCommandExactlyOnceWith(SendTaskSuccessCommand, {
      taskToken: 'token-1',
      output: '{"totalRuns":42}',
    });
  });

  it('sends a failure with its error name and cause', async () => {
    sfn.on(SendTaskFailureCommand).resolves({});
    await reporter.fail('token-1', 'BuildFailed', 'make: *** [all] Error 2');
    expect(sfn).toHaveReceivedCommandExactlyOnceWith(SendTaskFailureCommand, {
      taskToken: 'token-1',
      error: 'BuildFailed',
      cause: 'make: *** [all] Error 2',
    });
  });

  it('cuts error and cause to the API limits instead of failing to report', async () => {
    sfn.on(SendTaskFailureCommand).resolves({});
    // The cut falls between the two halves of an emoji: the lone half is dropped as well.
    const cause = 'x'.repeat(MAX_CAUSE_LENGTH - 1) + '😀tail';
    await reporter.fail('token-1', 'E'.repeat(1000), cause);
    const input = sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input;
    expect(input?.error).toBe('E'.repeat(MAX_ERROR_LENGTH));
    expect(input?.cause).toBe('x'.repeat(MAX_CAUSE_LENGTH - 1));
  });

  it('sends heartbeats', async () => {
    sfn.on(SendTaskHeartbeatCommand).resolves({});
    await reporter.heartbeat('token-1');
    expect(sfn).toHaveReceivedCommandExactlyOnceWith(SendTaskHeartbeatCommand, { taskToken: 'token-1' });
  });

  it.each([
    ['TaskTimedOut', () => new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} })],
    ['InvalidToken', () => new InvalidToken({ message: 'Invalid token', $metadata: {} })],
    ['TaskDoesNotExist', () => new TaskDoesNotExist({ message: 'Task does not exist', $metadata: {} })],
  ])('turns %s into TaskTokenExpired on heartbeat, success and failure', async (_name, error) => {
    sfn.on(SendTaskHeartbeatCommand).rejects(error());
    sfn.on(SendTaskSuccessCommand).rejects(error());
    sfn.on(SendTaskFailureCommand).rejects(error());
    for (const call of [
      () => reporter.heartbeat('t'),
      () => reporter.succeed('t', {}),
      () => reporter.fail('t', 'E', 'c'),
    ]) {
      const thrown = await call().catch((e: unknown) => e);
      expect(thrown).toBeInstanceOf(TaskTokenExpiredError);
      expect(thrown).toMatchObject({ name: 'TaskTokenExpired' });
      expect((thrown as Error).cause).toBeInstanceOf(SFNServiceException);
    }
  });

  it('lets other errors through as they are', async () => {
    sfn.on(SendTaskHeartbeatCommand).rejects(
      new SFNServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: {},
        message: 'slow down',
      }),
    );
    const thrown = await reporter.heartbeat('t').catch((e: unknown) => e);
    expect(thrown).not.toBeInstanceOf(TaskTokenExpiredError);
    expect(thrown).toMatchObject({ name: 'ThrottlingException' });
  });
});
